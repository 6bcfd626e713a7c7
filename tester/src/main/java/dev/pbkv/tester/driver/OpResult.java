package dev.pbkv.tester.driver;

import java.util.Map;
import java.util.TreeMap;

/**
 * What a node answered to one operation, as a value: the tester compares it with the expectation
 * and prints it when they differ. Transport problems (refused, reset, timed out, garbage) are
 * {@link Failed} results too; a driver never throws for them.
 */
public sealed interface OpResult {

    /** How the result reads in a failure message ("got ..."). */
    String describe();

    /** Whether this is a success of any kind. */
    default boolean isSuccess() {
        return !(this instanceof Failed) && !(this instanceof Missing);
    }

    /** A write, promote or shutdown that succeeded. */
    record Done() implements OpResult {
        public String describe() {
            return "ok";
        }
    }

    /** A get that found a value. */
    record Value(String value) implements OpResult {
        public String describe() {
            return "\"" + value + "\"";
        }
    }

    /** A get of a key that is absent. */
    record Missing() implements OpResult {
        public String describe() {
            return "missing";
        }
    }

    /** An exists answer. */
    record Flag(boolean present) implements OpResult {
        public String describe() {
            return Boolean.toString(present);
        }
    }

    /** A countkey answer. */
    record Count(long count) implements OpResult {
        public String describe() {
            return Long.toString(count);
        }
    }

    /** A ttl answer: milliseconds left, or -1 for a key without a deadline. */
    record Ttl(long millis) implements OpResult {
        public String describe() {
            return millis < 0 ? "no deadline" : "a deadline in " + millis + " ms";
        }
    }

    /** Every pair a dump returned, sorted by key. */
    record Dump(Map<String, String> entries) implements OpResult {
        public Dump {
            entries = java.util.Collections.unmodifiableSortedMap(new TreeMap<>(entries));
        }

        public String describe() {
            if (entries.size() > 10) {
                return "a dump of " + entries.size() + " keys";
            }
            StringBuilder out = new StringBuilder("{");
            entries.forEach(
                    (k, v) -> out.append(' ').append(word(k)).append(' ').append(word(v)));
            return out.append(" }").toString();
        }
    }

    /**
     * A key or value as a {@code .test} file would write it: bare when it can be, else quoted with
     * the grammar's escapes, so an empty value shows as {@code ""} and not as nothing.
     */
    static String word(String s) {
        if (!s.isEmpty() && s.chars().noneMatch(c -> Character.isWhitespace(c) || "{}\"#\\".indexOf(c) >= 0)) {
            return s;
        }
        return "\""
                + s.replace("\\", "\\\\")
                        .replace("\"", "\\\"")
                        .replace("\n", "\\n")
                        .replace("\t", "\\t") + "\"";
    }

    /**
     * A status answer. {@code state} and {@code role} are null when the protocol cannot tell them
     * (an HTTP /health without them).
     */
    record Status(String state, String role) implements OpResult {
        public String describe() {
            return "state " + (state == null ? "unknown" : state) + ", role " + (role == null ? "unknown" : role);
        }
    }

    /** A failure: a status code name from {@link FailureCode} and what the node or transport said. */
    record Failed(String code, String message) implements OpResult {
        public String describe() {
            return message == null || message.isBlank() ? code : code + " (" + message + ")";
        }

        /** Whether the node could not be reached or did not answer in time. */
        public boolean unreachable() {
            return FailureCode.UNREACHABLE.contains(code);
        }
    }
}
