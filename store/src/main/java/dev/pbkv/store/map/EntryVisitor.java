package dev.pbkv.store.map;

/** Receives the entries of one bucket during a consistent per-bucket iteration. */
@FunctionalInterface
public interface EntryVisitor {
    /** Called once per entry; the arrays are copies the visitor may keep. */
    void visit(byte[] key, byte[] value, long offset);
}
