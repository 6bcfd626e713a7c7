package dev.pbkv.server.replication;

import dev.pbkv.store.Mutation;
import dev.pbkv.store.Store;
import dev.pbkv.store.WriteResult;

/**
 * The one rule for when a write may be answered: once the offset its answer rests on is
 * committed. Every {@link Replicator} completes {@link Replicator#write} only then, so nothing
 * above it waits again.
 */
final class AnswerOffset {
    private AnswerOffset() {
    }

    /**
     * The write's own record; or, for a write that changed nothing (insert of a present key,
     * update or delete of an absent one), the offset of the entry it saw (for a missing key: the
     * newest delete in its bucket). Such an answer is about what the store holds, so it is
     * linearizable like a read of that key.
     */
    static long of(Store store, Mutation m, WriteResult r) {
        if (r.changed()) {
            return r.offset();
        }
        return m.key() == null ? 0 : store.map().lookup(m.key()).offset();
    }
}
