package dev.pbkv.tester.script;

import java.util.List;

/** What a {@code .test} file expects an operation to answer ({@code expect ...}). */
public sealed interface Expectation {

    /** How the expectation reads in a failure message. */
    String describe();

    /** Any success. The default when a statement has no {@code expect}. */
    record Ok() implements Expectation {
        public String describe() {
            return "ok";
        }
    }

    /** Any failure, including a missing key, a refused connection or a timeout. */
    record Fail() implements Expectation {
        public String describe() {
            return "fail";
        }
    }

    /** Whatever happens; successful writes still enter the ledger that {@code verify} checks. */
    record Any() implements Expectation {
        public String describe() {
            return "any result";
        }
    }

    /** The key is absent (NOT_FOUND). */
    record Missing() implements Expectation {
        public String describe() {
            return "missing";
        }
    }

    /** A failure with this status code name, e.g. ALREADY_EXISTS. */
    record Code(String code) implements Expectation {
        public String describe() {
            return code;
        }
    }

    /** A get that finds this value. */
    record Value(Template value) implements Expectation {
        public String describe() {
            return "\"" + value.source() + "\"";
        }
    }

    /** A countkey of exactly this many keys. */
    record Count(long count) implements Expectation {
        public String describe() {
            return Long.toString(count);
        }
    }

    /** An exists that answers this. */
    record Flag(boolean present) implements Expectation {
        public String describe() {
            return Boolean.toString(present);
        }
    }

    /** A ttl of a key without a deadline ({@code expect none}). */
    record NoDeadline() implements Expectation {
        public String describe() {
            return "no deadline";
        }
    }

    /** A ttl of a key with a deadline at most this far away ({@code expect 10s}). */
    record TtlAtMost(java.time.Duration max) implements Expectation {
        public String describe() {
            return "a deadline within " + max.toMillis() + " ms";
        }
    }

    /** A dump of exactly these pairs. */
    record Entries(List<Pair> pairs) implements Expectation {
        public Entries {
            pairs = List.copyOf(pairs);
        }

        public String describe() {
            StringBuilder out = new StringBuilder("{");
            for (Pair p : pairs) {
                out.append(' ')
                        .append(p.key().source())
                        .append(' ')
                        .append(p.value().source());
            }
            return out.append(" }").toString();
        }
    }

    /** One key and value of an {@link Entries} expectation. */
    record Pair(Template key, Template value) {}
}
