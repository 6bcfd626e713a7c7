package dev.pbkv.store;

import java.io.IOException;

/**
 * Told how far the log is durable, once per group-commit batch, on the thread that wrote the
 * batch (the log thread, or under fsync no an event loop writing its own turn's records): the
 * primary's commit rule follows it instead of a future per record. Both calls must be short and
 * must not wait on the store.
 */
public interface DurableListener {
    DurableListener NONE = new DurableListener() {
        @Override
        public void durableThrough(long offset) {}

        @Override
        public void failed(long durableOffset, IOException error) {}
    };

    /** Every record up to offset is durable per the fsync policy. Offsets only grow between log resets. */
    void durableThrough(long offset);

    /**
     * The log failed (a full disk): nothing above durableOffset will become durable, and the
     * store has already undone those records in its map.
     */
    void failed(long durableOffset, IOException error);
}
