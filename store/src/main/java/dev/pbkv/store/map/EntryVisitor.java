package dev.pbkv.store.map;

/** Receives the entries of one bucket during a consistent per-bucket iteration. */
@FunctionalInterface
public interface EntryVisitor {
    /** Called once per entry; the arrays are copies the visitor may keep. */
    void visit(byte[] key, byte[] value, long offset);

    /**
     * Called once per entry by the map, with the entry's deadline (epoch milliseconds, 0: none).
     * Visitors that keep deadlines (snapshots) override this one; the default drops it.
     */
    default void visit(byte[] key, byte[] value, long offset, long deadline) {
        visit(key, value, offset);
    }
}
