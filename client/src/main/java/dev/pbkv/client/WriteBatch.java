package dev.pbkv.client;

import com.google.protobuf.ByteString;
import dev.pbkv.proto.BatchOperation;
import dev.pbkv.proto.BatchOperationKind;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * Operations for {@link PbkvClient#batch}: applied by the primary all or nothing, in order, as one
 * log record (docs/batches.md). Build one with the methods below; not thread-safe.
 */
public final class WriteBatch {
    private final List<BatchOperation> operations = new ArrayList<>();

    /** Store value under key either way. */
    public WriteBatch put(byte[] key, byte[] value) {
        return add(BatchOperationKind.BATCH_PUT, key, value);
    }

    public WriteBatch put(String key, String value) {
        return put(utf8(key), utf8(value));
    }

    /** Remove key if present (an absent key does not fail the batch). */
    public WriteBatch delete(byte[] key) {
        return add(BatchOperationKind.BATCH_DELETE, key, new byte[0]);
    }

    public WriteBatch delete(String key) {
        return delete(utf8(key));
    }

    /** Store value only if key is absent; else the whole batch is refused (ALREADY_EXISTS). */
    public WriteBatch insert(byte[] key, byte[] value) {
        return add(BatchOperationKind.BATCH_INSERT, key, value);
    }

    public WriteBatch insert(String key, String value) {
        return insert(utf8(key), utf8(value));
    }

    /** Replace key's value only if present; else the whole batch is refused (NOT_FOUND). */
    public WriteBatch update(byte[] key, byte[] value) {
        return add(BatchOperationKind.BATCH_UPDATE, key, value);
    }

    public WriteBatch update(String key, String value) {
        return update(utf8(key), utf8(value));
    }

    /** Read key as the batch's earlier operations leave it ({@link BatchResult#before}). */
    public WriteBatch get(byte[] key) {
        return add(BatchOperationKind.BATCH_GET, key, new byte[0]);
    }

    public WriteBatch get(String key) {
        return get(utf8(key));
    }

    public int size() {
        return operations.size();
    }

    List<BatchOperation> operations() {
        return List.copyOf(operations);
    }

    private WriteBatch add(BatchOperationKind kind, byte[] key, byte[] value) {
        operations.add(BatchOperation.newBuilder()
                .setKind(kind)
                .setKey(ByteString.copyFrom(key))
                .setValue(ByteString.copyFrom(value))
                .build());
        return this;
    }

    private static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }
}
