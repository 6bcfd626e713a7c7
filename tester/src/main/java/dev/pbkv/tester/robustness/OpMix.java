package dev.pbkv.tester.robustness;

import dev.pbkv.tester.history.OpKind;
import java.util.Random;

/**
 * What a robustness client does next: mostly reads and writes on a few shared register keys (so
 * that clients contend and the checker has concurrency to judge), and now and then an insert of a
 * key of its own that nothing touches again (so that a lost acknowledged write is counted exactly
 * by the final dump).
 *
 * @param keys the number of shared keys k0..k(keys-1)
 */
record OpMix(int keys) {
    /** The next operation: its kind and key; {@code once} for an insert-once key. */
    record Next(OpKind kind, String key, boolean once) {}

    OpMix {
        if (keys < 1) {
            throw new IllegalArgumentException("keys must be >= 1, got " + keys);
        }
    }

    Next next(Random rnd, int client, long seq) {
        int r = rnd.nextInt(100);
        if (r < 10) {
            return new Next(OpKind.INSERT, onceKey(client, seq), true);
        }
        String key = "k" + rnd.nextInt(keys);
        OpKind kind;
        if (r < 45) {
            kind = OpKind.GET;
        } else if (r < 65) {
            kind = OpKind.PUT;
        } else if (r < 75) {
            kind = OpKind.INSERT;
        } else if (r < 90) {
            kind = OpKind.UPDATE;
        } else {
            kind = OpKind.DELETE;
        }
        return new Next(kind, key, false);
    }

    static String onceKey(int client, long seq) {
        return "once-c" + client + "-" + seq;
    }

    static boolean isOnceKey(String key) {
        return key.startsWith("once-");
    }
}
