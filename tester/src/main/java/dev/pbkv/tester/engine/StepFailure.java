package dev.pbkv.tester.engine;

import dev.pbkv.tester.script.Position;

/**
 * A step that did not do what the file expected.
 *
 * @param statement the source line of the step
 * @param where which worker and repetition it ran in ("" outside blocks)
 */
public record StepFailure(Position position, String statement, String where, String expected, String actual) {

    /** The line printed under a failed case. */
    public String describe() {
        StringBuilder out = new StringBuilder(position.fileLine()).append(": ").append(statement);
        if (!where.isEmpty()) {
            out.append(" [").append(where).append(']');
        }
        return out.append(": expected ")
                .append(expected)
                .append(", got ")
                .append(actual)
                .toString();
    }
}
