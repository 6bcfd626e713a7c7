package dev.pbkv.tester.script;

/** A place in a {@code .test} file: 1-based line and column. */
public record Position(String file, int line, int column) {
    @Override
    public String toString() {
        return file + ":" + line + ":" + column;
    }

    /** The short form used in step failures: {@code file:line}. */
    public String fileLine() {
        return file + ":" + line;
    }
}
