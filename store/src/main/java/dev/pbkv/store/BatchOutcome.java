package dev.pbkv.store;

import java.util.List;

/**
 * What a batch did, beside its {@link WriteResult}.
 *
 * @param failedIndex the operation whose condition (or the arena) refused the batch, -1 when it was applied
 * @param before      per operation, in order, the key's value just before that operation (as the
 *                    batch's earlier operations left it), null where the key was absent: a get's
 *                    answer, a delete's deleted value, whether an insert or put created. Empty when
 *                    not known (a batch replayed from the log, or remembered for a retry)
 */
public record BatchOutcome(int failedIndex, List<byte[]> before) {
    public static final BatchOutcome UNKNOWN = new BatchOutcome(-1, List.of());

    public BatchOutcome {
        before = java.util.Collections.unmodifiableList(new java.util.ArrayList<>(before));
    }

    public boolean applied() {
        return failedIndex < 0;
    }

    /** Without the values, to keep for an at-most-once retry (the table holds many). */
    public BatchOutcome slim() {
        return new BatchOutcome(failedIndex, List.of());
    }
}
