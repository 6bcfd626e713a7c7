package dev.pbkv.tester.script;

/**
 * A {@code .test} file that does not follow the grammar. The message names the file, line and
 * column and what was expected there; it is meant to be printed as it is, without a stack trace.
 */
public final class ParseException extends Exception {
    private final Position position;
    private final String problem;

    public ParseException(Position position, String problem) {
        super(position + ": " + problem, null, false, false);
        this.position = position;
        this.problem = problem;
    }

    public Position position() {
        return position;
    }

    /** What went wrong, without the position. */
    public String problem() {
        return problem;
    }
}
