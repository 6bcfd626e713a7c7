package dev.pbkv.server.command;

import dev.pbkv.store.BatchOp;

/**
 * One operation of a batch ({@link Commands#batch}): applied with the others all or nothing, in order.
 *
 * <p>A thin wrapper of the store's {@link BatchOp}, which it holds and the command layer hands to
 * the store as it is. It exists because the doors build batches and a door may not see the store
 * (docs/architecture.md, checked by PackageRulesTest): they need a type of the command layer's, and
 * this is it, with a {@link Kind} that names each store kind once.
 */
public final class BatchStep {
    private static final byte[] EMPTY = new byte[0];

    /** What a step does; each is one {@link BatchOp.Kind}. */
    public enum Kind {
        /** Store the value if the key is absent; else the whole batch is refused (ALREADY_EXISTS). */
        INSERT(BatchOp.Kind.INSERT),
        /** Replace the value if the key is present; else the whole batch is refused (NOT_FOUND). */
        UPDATE(BatchOp.Kind.UPDATE),
        /** Store the value either way. */
        PUT(BatchOp.Kind.PUT),
        /** Remove the key if present; an absent key is not a failure. */
        DELETE(BatchOp.Kind.DELETE),
        /** Read the key as the batch's earlier steps left it. */
        GET(BatchOp.Kind.GET);

        private final BatchOp.Kind store;

        Kind(BatchOp.Kind store) {
            this.store = store;
        }
    }

    private final Kind kind;
    private final BatchOp op;

    /**
     * @param kind  what to do
     * @param key   the key, non-empty
     * @param value the value (empty for delete and get; null is taken as empty)
     */
    public BatchStep(Kind kind, byte[] key, byte[] value) {
        this.kind = kind;
        this.op = new BatchOp(kind.store, key, value);
    }

    public Kind kind() {
        return kind;
    }

    public byte[] key() {
        return op.key();
    }

    public byte[] value() {
        return op.value();
    }

    /** The store's operation, for the command layer to hand on. */
    BatchOp op() {
        return op;
    }

    public static BatchStep put(byte[] key, byte[] value) {
        return new BatchStep(Kind.PUT, key, value);
    }

    public static BatchStep delete(byte[] key) {
        return new BatchStep(Kind.DELETE, key, EMPTY);
    }

    public static BatchStep insert(byte[] key, byte[] value) {
        return new BatchStep(Kind.INSERT, key, value);
    }

    public static BatchStep get(byte[] key) {
        return new BatchStep(Kind.GET, key, EMPTY);
    }
}
