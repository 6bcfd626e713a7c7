package dev.pbkv.tester.engine;

/**
 * How an external command ended: its exit code (-1 when it could not be started or timed out)
 * and the tail of what it printed, for failure messages.
 */
public record CommandOutcome(int exitCode, String output, boolean timedOut) {

    public boolean succeeded() {
        return exitCode == 0 && !timedOut;
    }

    /** One line for a failure message. */
    public String describe() {
        String head = timedOut ? "timed out" : exitCode < 0 ? "could not run" : "exit code " + exitCode;
        String tail = output == null ? "" : output.strip();
        if (tail.isEmpty()) {
            return head;
        }
        tail = tail.replaceAll("\\s*\\n\\s*", " | ");
        if (tail.length() > 300) {
            tail = "..." + tail.substring(tail.length() - 300);
        }
        return head + ": " + tail;
    }
}
