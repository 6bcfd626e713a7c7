package dev.pbkv.store.log;

import dev.pbkv.store.Effect;
import dev.pbkv.store.LogRecord;
import java.nio.ByteBuffer;
import java.util.zip.CRC32C;

/**
 * The byte layout of one log record (big-endian), see docs/persistence.md:
 *
 * <pre>
 *  0  int32  length   bytes of the body that follows the crc (41 + keyLength + valueLength)
 *  4  int32  crc      CRC32C of the length field followed by the body
 *  8  int64  offset
 * 16  int64  epoch
 * 24  int8   effect   1 = put, 2 = delete, 6 = batch (empty key; the value is a {@link BatchCodec} payload)
 * 25  int64  clientId
 * 33  int64  sequence
 * 41  int32  keyLength, then the key bytes
 *  .  int32  valueLength, then the value bytes
 * </pre>
 *
 * The CRC covers the length so a flipped bit in the length is caught too.
 */
public final class RecordCodec {
    /** Bytes before the body: the length and the crc. */
    public static final int HEADER_BYTES = 8;
    /** Body bytes of a record with an empty key and value. */
    public static final int MIN_BODY_BYTES = 8 + 8 + 1 + 8 + 8 + 4 + 4;

    private static final byte PUT = 1;
    private static final byte DELETE = 2;
    private static final byte BATCH = 6;

    private RecordCodec() {}

    public static int encodedSize(LogRecord rec) {
        return HEADER_BYTES + MIN_BODY_BYTES + rec.key().length + rec.value().length;
    }

    /** Writes rec at out's position (which must have room, see {@link #encodedSize}) and advances it. */
    public static void encode(LogRecord rec, ByteBuffer out, CRC32C crc) {
        int start = out.position();
        int body = MIN_BODY_BYTES + rec.key().length + rec.value().length;
        out.putInt(body);
        out.putInt(0);
        out.putLong(rec.offset());
        out.putLong(rec.epoch());
        out.put(effectByte(rec.effect()));
        out.putLong(rec.clientId());
        out.putLong(rec.sequence());
        out.putInt(rec.key().length);
        out.put(rec.key());
        out.putInt(rec.value().length);
        out.put(rec.value());
        int end = out.position();
        out.putInt(start + 4, checksum(out, start, end, crc));
    }

    private static byte effectByte(Effect effect) {
        return switch (effect) {
            case PUT -> PUT;
            case DELETE -> DELETE;
            case BATCH -> BATCH;
        };
    }

    /**
     * CRC32C of the length field and body of the record spanning [start, end) of buf. Moves buf's
     * position and limit meanwhile and puts them back (no view object per record).
     */
    static int checksum(ByteBuffer buf, int start, int end, CRC32C crc) {
        int position = buf.position();
        int limit = buf.limit();
        crc.reset();
        buf.limit(start + 4).position(start);
        crc.update(buf);
        buf.limit(end).position(start + HEADER_BYTES);
        crc.update(buf);
        buf.limit(limit).position(position);
        return (int) crc.getValue();
    }

    /** Why bytes at some position are not a valid record. */
    public static final class CorruptRecordException extends Exception {
        private static final long serialVersionUID = 1L;

        CorruptRecordException(String message) {
            super(message);
        }
    }

    /**
     * Decodes the whole record in [start, start + HEADER_BYTES + length) of buf, checking its
     * crc and internal lengths. The caller has checked that the bytes are present.
     */
    public static LogRecord decode(ByteBuffer buf, int start, CRC32C crc) throws CorruptRecordException {
        int body = buf.getInt(start);
        if (body < MIN_BODY_BYTES) {
            throw new CorruptRecordException("record length " + body + " below the minimum " + MIN_BODY_BYTES);
        }
        int end = start + HEADER_BYTES + body;
        int stored = buf.getInt(start + 4);
        if (checksum(buf, start, end, crc) != stored) {
            throw new CorruptRecordException("crc mismatch");
        }
        int p = start + HEADER_BYTES;
        long offset = buf.getLong(p);
        long epoch = buf.getLong(p + 8);
        byte effectByte = buf.get(p + 16);
        long clientId = buf.getLong(p + 17);
        long sequence = buf.getLong(p + 25);
        int keyLength = buf.getInt(p + 33);
        if (keyLength < 0 || keyLength > body - MIN_BODY_BYTES) {
            throw new CorruptRecordException("key length " + keyLength + " does not fit the record");
        }
        int valueLength = buf.getInt(p + 37 + keyLength);
        if (valueLength != body - MIN_BODY_BYTES - keyLength) {
            throw new CorruptRecordException("value length " + valueLength + " does not fit the record");
        }
        Effect effect;
        if (effectByte == PUT) {
            effect = Effect.PUT;
        } else if (effectByte == DELETE) {
            effect = Effect.DELETE;
        } else if (effectByte == BATCH) {
            effect = Effect.BATCH;
        } else {
            throw new CorruptRecordException("unknown effect " + effectByte);
        }
        byte[] key = new byte[keyLength];
        buf.get(p + 37, key);
        byte[] value = new byte[valueLength];
        buf.get(p + 41 + keyLength, value);
        LogRecord rec = new LogRecord(offset, epoch, effect, key, value, clientId, sequence);
        if (effect == Effect.BATCH) {
            BatchCodec.expand(rec); // a payload that does not parse makes the record corrupt
        }
        return rec;
    }
}
