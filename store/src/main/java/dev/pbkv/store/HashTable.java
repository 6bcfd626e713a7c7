package dev.pbkv.store;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.concurrent.CompletionException;

/**
 * The store for an embedder used to the classic C hash-table interface this engine replaces:
 * insert, update, put, lookup, get and delete answer with its {@code HT_*} result codes, plus the
 * two failures a C caller learned from errno (out of memory, invalid argument). These codes live
 * here only; everything else in pbkv speaks {@link WriteOutcome}. See docs/store.md.
 *
 * <p>A write returns once it is durable as the store's fsync policy promises (its record forced,
 * with {@code always}); a log that cannot be written (full disk) throws
 * {@link UncheckedIOException}. Thread-safe: calls from many threads share group commit.
 */
public final class HashTable implements AutoCloseable {
    /** The result codes of the C interface. */
    public enum Result {
        /** insert or put stored a key that was absent. */
        HT_INSERT_OK,
        /** insert found the key already present; nothing changed. */
        HT_INSERT_FAILED,
        /** lookup found the key; update or put replaced its value. */
        HT_FOUND,
        /** lookup or update did not find the key; nothing changed. */
        HT_NOTFOUND,
        /** delete removed the key. */
        HT_DELETE_OK,
        /** delete did not find the key; nothing changed. */
        HT_DELETE_FAILED,
        /** the arena has no room for the entry; nothing changed. Deletes make room again. */
        HT_OUT_OF_MEMORY,
        /** a null or empty key, a null value, or an entry too large for the arena; nothing changed. */
        HT_INVALID_ARGUMENT
    }

    private final Store store;

    /** Over an open store; closing this table closes the store. */
    public HashTable(Store store) {
        this.store = store;
    }

    /** Opens (and recovers) a store in config's data directory. */
    public static HashTable open(StoreConfig config) throws IOException {
        return new HashTable(Store.open(config));
    }

    /** Stores key -> value only if key is absent: HT_INSERT_OK or HT_INSERT_FAILED. */
    public Result insert(byte[] key, byte[] value) {
        return write(new Mutation(Op.INSERT, key, value, 0, 0));
    }

    /** Replaces the value only if key is present: HT_FOUND or HT_NOTFOUND. */
    public Result update(byte[] key, byte[] value) {
        return write(new Mutation(Op.UPDATE, key, value, 0, 0));
    }

    /** Stores key -> value either way: HT_INSERT_OK (was absent) or HT_FOUND (replaced). */
    public Result put(byte[] key, byte[] value) {
        return write(new Mutation(Op.PUT, key, value, 0, 0));
    }

    /** Removes key: HT_DELETE_OK or HT_DELETE_FAILED (absent). */
    public Result delete(byte[] key) {
        return write(Mutation.delete(key));
    }

    /** HT_FOUND or HT_NOTFOUND; HT_INVALID_ARGUMENT for a null or empty key. */
    public Result lookup(byte[] key) {
        if (key == null || key.length == 0) {
            return Result.HT_INVALID_ARGUMENT;
        }
        return store.lookup(key).found() ? Result.HT_FOUND : Result.HT_NOTFOUND;
    }

    /** The value of key, or null when it is absent (or the key is null or empty). */
    public byte[] get(byte[] key) {
        return store.lookup(key).value();
    }

    /** The number of keys. */
    public long count() {
        return store.count();
    }

    private Result write(Mutation m) {
        WriteResult r = store.apply(m);
        if (r.changed()) {
            try {
                store.whenDurable(r.offset()).join();
            } catch (CompletionException e) {
                throw e.getCause() instanceof IOException io
                        ? new UncheckedIOException("the log cannot be written: " + io.getMessage(), io)
                        : e;
            }
        }
        return resultOf(m.op(), r.outcome());
    }

    /** The C code for an outcome: the one place they are translated. */
    static Result resultOf(Op op, WriteOutcome outcome) {
        return switch (outcome) {
            case CREATED -> Result.HT_INSERT_OK;
            case REPLACED -> Result.HT_FOUND;
            case DELETED -> Result.HT_DELETE_OK;
            case PRESENT -> Result.HT_INSERT_FAILED;
            case ABSENT -> op == Op.DELETE ? Result.HT_DELETE_FAILED : Result.HT_NOTFOUND;
            case OUT_OF_MEMORY -> Result.HT_OUT_OF_MEMORY;
            case REJECTED -> Result.HT_INVALID_ARGUMENT;
            case UNCHANGED -> Result.HT_FOUND;
            case APPLIED -> Result.HT_INSERT_OK; // a batch went through (HashTable itself takes none)
        };
    }

    /** Closes the store: the log is flushed and forced. */
    @Override
    public void close() throws IOException {
        store.close();
    }
}
