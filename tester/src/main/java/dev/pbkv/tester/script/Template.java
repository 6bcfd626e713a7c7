package dev.pbkv.tester.script;

import java.util.List;
import java.util.function.Function;

/**
 * A word of a {@code .test} file that may contain {@code ${name}} placeholders, filled in when the
 * statement runs: {@code ${i}}, {@code ${worker}}, {@code ${primary.grpc}}, ...
 */
public record Template(List<Part> parts) {

    /** A piece of a template: literal text or a variable. */
    public sealed interface Part {}

    /** Text taken as it is. */
    public record Literal(String text) implements Part {}

    /** A {@code ${name}} placeholder, with where it stands in the file. */
    public record Variable(String name, Position position) implements Part {}

    public Template {
        parts = List.copyOf(parts);
    }

    public static Template literal(String text) {
        return new Template(List.of(new Literal(text)));
    }

    /** Whether the template has no placeholders. */
    public boolean isLiteral() {
        return parts.stream().allMatch(p -> p instanceof Literal);
    }

    /** The text with every placeholder replaced by what {@code lookup} gives for its name. */
    public String render(Function<String, String> lookup) {
        StringBuilder out = new StringBuilder();
        for (Part p : parts) {
            if (p instanceof Literal l) {
                out.append(l.text());
            } else if (p instanceof Variable v) {
                out.append(lookup.apply(v.name()));
            }
        }
        return out.toString();
    }

    /** The template as it was written (placeholders kept), for messages. */
    public String source() {
        StringBuilder out = new StringBuilder();
        for (Part p : parts) {
            if (p instanceof Literal l) {
                out.append(l.text());
            } else if (p instanceof Variable v) {
                out.append("${").append(v.name()).append('}');
            }
        }
        return out.toString();
    }

    @Override
    public String toString() {
        return source();
    }
}
