package dev.pbkv.store.log;

import dev.pbkv.store.Effect;
import dev.pbkv.store.LogRecord;
import dev.pbkv.store.log.RecordCodec.CorruptRecordException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;

/**
 * The payload of a {@link Effect#BATCH} record (the record's value; its key is empty), see
 * docs/batches.md. Big-endian:
 *
 * <pre>
 *  0  int8   version  1
 *  1  int32  count    number of effects, at least 1
 *  then per effect, in the order they apply:
 *     int8   effect   1 = put, 2 = delete
 *     int32  keyLength (at least 1), then the key bytes
 *     int32  valueLength (0 for a delete), then the value bytes
 * </pre>
 *
 * The record's CRC covers the payload; {@link #decode} still checks every length, so a payload
 * that does not parse is refused whole and nothing of it is applied.
 */
public final class BatchCodec {
    private static final byte VERSION = 1;
    private static final byte PUT = 1;
    private static final byte DELETE = 2;
    /** Bytes of the payload header. */
    private static final int HEADER = 1 + 4;
    /** Bytes of one effect with an empty key and value. */
    private static final int PER_EFFECT = 1 + 4 + 4;

    private BatchCodec() {}

    /** Payload bytes for these effects (each a PUT or DELETE record; offsets and tags are ignored). */
    public static int encodedSize(List<LogRecord> effects) {
        int size = HEADER;
        for (LogRecord e : effects) {
            size += PER_EFFECT + e.key().length + (e.effect() == Effect.DELETE ? 0 : e.value().length);
        }
        return size;
    }

    /** The payload holding effects, in order. Each is a PUT or a DELETE. */
    public static byte[] encode(List<LogRecord> effects) {
        if (effects.isEmpty()) {
            throw new IllegalArgumentException("a batch record holds at least one effect");
        }
        ByteBuffer out = ByteBuffer.allocate(encodedSize(effects));
        out.put(VERSION);
        out.putInt(effects.size());
        for (LogRecord e : effects) {
            boolean delete = switch (e.effect()) {
                case PUT -> false;
                case DELETE -> true;
                default -> throw new IllegalArgumentException("a batch holds puts and deletes, not " + e.effect());
            };
            out.put(delete ? DELETE : PUT);
            out.putInt(e.key().length);
            out.put(e.key());
            byte[] value = delete ? new byte[0] : e.value();
            out.putInt(value.length);
            out.put(value);
        }
        return out.array();
    }

    /**
     * The effects of a batch record as single PUT and DELETE records, in order, each with the batch
     * record's offset and epoch (and no at-most-once tag: that belongs to the batch). Throws when the
     * payload does not parse.
     */
    public static List<LogRecord> expand(LogRecord batch) throws CorruptRecordException {
        if (batch.effect() != Effect.BATCH) {
            throw new IllegalArgumentException("not a batch record: " + batch.effect());
        }
        ByteBuffer in = ByteBuffer.wrap(batch.value());
        if (in.remaining() < HEADER) {
            throw new CorruptRecordException(
                    "batch payload of " + in.remaining() + " bytes is shorter than its header");
        }
        byte version = in.get();
        if (version != VERSION) {
            throw new CorruptRecordException("unknown batch payload version " + version);
        }
        int count = in.getInt();
        if (count < 1 || count > in.remaining() / PER_EFFECT) {
            throw new CorruptRecordException("batch count " + count + " does not fit its " + in.remaining() + " bytes");
        }
        List<LogRecord> out = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            if (in.remaining() < PER_EFFECT) {
                throw new CorruptRecordException("batch effect " + i + " is cut off");
            }
            byte effectByte = in.get();
            Effect effect;
            if (effectByte == PUT) {
                effect = Effect.PUT;
            } else if (effectByte == DELETE) {
                effect = Effect.DELETE;
            } else {
                throw new CorruptRecordException("batch effect " + i + " has unknown effect " + effectByte);
            }
            byte[] key = readBytes(in, i, "key");
            if (key.length == 0) {
                throw new CorruptRecordException("batch effect " + i + " has an empty key");
            }
            byte[] value = readBytes(in, i, "value");
            if (effect == Effect.DELETE && value.length != 0) {
                throw new CorruptRecordException("batch effect " + i + " is a delete with a value");
            }
            out.add(new LogRecord(batch.offset(), batch.epoch(), effect, key, value, 0, 0));
        }
        if (in.hasRemaining()) {
            throw new CorruptRecordException(in.remaining() + " bytes after the last batch effect");
        }
        return out;
    }

    private static byte[] readBytes(ByteBuffer in, int i, String what) throws CorruptRecordException {
        if (in.remaining() < 4) {
            throw new CorruptRecordException("batch effect " + i + " is cut off before its " + what + " length");
        }
        int length = in.getInt();
        if (length < 0 || length > in.remaining()) {
            throw new CorruptRecordException(
                    "batch effect " + i + " " + what + " length " + length + " does not fit the payload");
        }
        byte[] bytes = new byte[length];
        in.get(bytes);
        return bytes;
    }
}
