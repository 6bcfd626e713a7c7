package dev.pbkv.tester.config;

import java.util.Locale;
import java.util.Set;
import java.util.TreeSet;

/**
 * What the servers under test promise, and so which parts of a {@code .test} file run: a case or
 * block marked {@code requires FEATURE} runs only when the contract offers every feature it names;
 * the rest is reported as skipped (test-cases/README.md, "Contract and extras").
 */
public enum Contract {
    /**
     * The course's HTTP contract only: another team's servers, or pbkv in its course settings. A
     * primary refuses writes while its backup is away, as the course's tester expects.
     */
    COURSE("course", Set.of(Contract.STRICT)),
    /** pbkv as it ships (the default): every extra, and a primary that serves without its backup. */
    PBKV("pbkv", Set.of(Contract.EXTRAS, Contract.ALONE)),
    /** pbkv with replication.require-backup on: its extras, and a primary that refuses writes alone. */
    PBKV_STRICT("pbkv-strict", Set.of(Contract.EXTRAS, Contract.STRICT));

    /** pbkv's behaviour beyond the contract: role errors, gRPC, promote, its codes and states. */
    public static final String EXTRAS = "pbkv";
    /** A primary whose backup is away goes on serving writes (replication.require-backup = false). */
    public static final String ALONE = "alone";
    /** A primary whose backup is away refuses writes (the course; pbkv's replication.require-backup). */
    public static final String STRICT = "strict";
    /** Every feature a {@code requires} line may name. */
    public static final Set<String> FEATURES = Set.of(EXTRAS, ALONE, STRICT);

    private final String word;
    private final Set<String> offered;

    Contract(String word, Set<String> offered) {
        this.word = word;
        this.offered = offered;
    }

    /** How the command line and the test config spell it. */
    public String word() {
        return word;
    }

    /** Whether servers held to this contract offer every feature of {@code required}. */
    public boolean offers(Set<String> required) {
        return offered.containsAll(required);
    }

    /** The features of {@code required} that this contract lacks, sorted, for messages. */
    public Set<String> lacking(Set<String> required) {
        Set<String> out = new TreeSet<>(required);
        out.removeAll(offered);
        return out;
    }

    /** The contract spelt {@code word}; null when there is none. */
    public static Contract byWord(String word) {
        String w = word.trim().toLowerCase(Locale.ROOT);
        for (Contract c : values()) {
            if (c.word.equals(w)) {
                return c;
            }
        }
        return null;
    }
}
