package dev.pbkv.server.replication;

import com.google.protobuf.ByteString;
import com.google.protobuf.UnsafeByteOperations;
import dev.pbkv.proto.replication.ReplRecord;
import dev.pbkv.store.Effect;
import dev.pbkv.store.LogRecord;

/** Log records to and from their wire form on the replication stream. */
final class RecordCodec {
    private RecordCodec() {}

    static ReplRecord toWire(LogRecord r) {
        // The store never mutates a record's arrays after appending it, so they are wrapped, not copied.
        if (r.effect() == Effect.BATCH) {
            return ReplRecord.newBuilder()
                    .setOffset(r.offset())
                    .setEpoch(r.epoch())
                    .setBatch(UnsafeByteOperations.unsafeWrap(r.value()))
                    .setClientId(r.clientId())
                    .setSequence(r.sequence())
                    .build();
        }
        return ReplRecord.newBuilder()
                .setOffset(r.offset())
                .setEpoch(r.epoch())
                .setDelete(r.effect() == Effect.DELETE)
                .setKey(UnsafeByteOperations.unsafeWrap(r.key()))
                .setValue(r.value() == null ? ByteString.EMPTY : UnsafeByteOperations.unsafeWrap(r.value()))
                .setClientId(r.clientId())
                .setSequence(r.sequence())
                .setDeadline(r.deadline())
                .setExpiryEffect(
                        switch (r.effect()) {
                            case EXPIRE -> ReplRecord.ExpiryEffect.EXPIRY_EFFECT_EXPIRE;
                            case EXPIRED -> ReplRecord.ExpiryEffect.EXPIRY_EFFECT_EXPIRED;
                            case PUT, DELETE -> ReplRecord.ExpiryEffect.EXPIRY_EFFECT_NONE;
                            case BATCH ->
                                throw new IllegalStateException(
                                        "a BATCH record reached the key-value form; the batch form above returns first");
                        })
                .build();
    }

    private static Effect effectOf(ReplRecord r) {
        return switch (r.getExpiryEffect()) {
            case EXPIRY_EFFECT_EXPIRE -> Effect.EXPIRE;
            case EXPIRY_EFFECT_EXPIRED -> Effect.EXPIRED;
            default -> r.getDelete() ? Effect.DELETE : Effect.PUT;
        };
    }

    static LogRecord fromWire(ReplRecord r) {
        if (!r.getBatch().isEmpty()) {
            return new LogRecord(
                    r.getOffset(),
                    r.getEpoch(),
                    Effect.BATCH,
                    new byte[0],
                    r.getBatch().toByteArray(),
                    r.getClientId(),
                    r.getSequence());
        }
        return new LogRecord(
                r.getOffset(),
                r.getEpoch(),
                effectOf(r),
                r.getKey().toByteArray(),
                r.getValue().toByteArray(),
                r.getClientId(),
                r.getSequence(),
                r.getDeadline());
    }

    /** Bytes a record adds to a batch message, roughly. */
    static int weight(LogRecord r) {
        return r.key().length + (r.value() == null ? 0 : r.value().length) + 40;
    }
}
