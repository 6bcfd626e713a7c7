package dev.pbkv.tester.script;

import java.util.List;

/** A parsed {@code .test} file: its name, its statements and its lines (for messages). */
public record Script(String name, List<Statement> statements, List<String> lines) {
    public Script {
        statements = List.copyOf(statements);
        lines = List.copyOf(lines);
    }

    /** The source text of a 1-based line, trimmed; empty when out of range. */
    public String line(int number) {
        return number >= 1 && number <= lines.size() ? lines.get(number - 1).strip() : "";
    }
}
