package dev.pbkv.tester.script;

import java.util.List;
import java.util.Set;

/**
 * A parsed {@code .test} file: its name, what the whole case requires (its {@code requires} header
 * lines: empty for a case of the course contract), its statements and its lines (for messages).
 */
public record Script(String name, Set<String> requires, List<Statement> statements, List<String> lines) {
    public Script {
        requires = Set.copyOf(requires);
        statements = List.copyOf(statements);
        lines = List.copyOf(lines);
    }

    /** A case of the course contract (no header). */
    public Script(String name, List<Statement> statements, List<String> lines) {
        this(name, Set.of(), statements, lines);
    }

    /** The source text of a 1-based line, trimmed; empty when out of range. */
    public String line(int number) {
        return number >= 1 && number <= lines.size() ? lines.get(number - 1).strip() : "";
    }
}
