package dev.pbkv.store.log;

import dev.pbkv.store.Effect;
import dev.pbkv.store.LogRecord;
import java.nio.ByteBuffer;
import java.util.zip.CRC32C;

/**
 * The byte layout of one log record (big-endian), see docs/persistence.md:
 *
 * <pre>
 *  0  int32  length   bytes of the body that follows the crc (41 + keyLength + valueLength, + 8 for 3 and 4)
 *  4  int32  crc      CRC32C of the length field followed by the body
 *  8  int64  offset
 * 16  int64  epoch
 * 24  int8   effect   1 = put, 2 = delete, 3 = put with a deadline, 4 = expire, 5 = expired,
 *                     6 = batch (empty key; the value is a {@link BatchCodec} payload)
 * 25  int64  clientId
 * 33  int64  sequence
 * 41  int32  keyLength, then the key bytes
 *  .  int32  valueLength, then the value bytes
 *  .  int64  deadline (effects 3 and 4 only): epoch milliseconds of the primary's clock; for 4, 0
 *            clears the key's deadline (persist)
 * </pre>
 *
 * Effects 1 and 2 keep the layout they always had (old logs read as before); 5 has the layout of
 * 2 (key, empty value). See docs/expiry.md.
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
    private static final byte PUT_WITH_DEADLINE = 3;
    private static final byte EXPIRE = 4;
    private static final byte EXPIRED = 5;
    private static final byte BATCH = 6;

    private RecordCodec() {}

    public static int encodedSize(LogRecord rec) {
        return HEADER_BYTES + MIN_BODY_BYTES + rec.key().length + rec.value().length + deadlineBytes(effectByte(rec));
    }

    private static byte effectByte(LogRecord rec) {
        return switch (rec.effect()) {
            case PUT -> rec.deadline() == 0 ? PUT : PUT_WITH_DEADLINE;
            case DELETE -> DELETE;
            case EXPIRE -> EXPIRE;
            case EXPIRED -> EXPIRED;
            case BATCH -> BATCH;
        };
    }

    private static int deadlineBytes(byte effect) {
        return effect == PUT_WITH_DEADLINE || effect == EXPIRE ? 8 : 0;
    }

    /** Writes rec at out's position (which must have room, see {@link #encodedSize}) and advances it. */
    public static void encode(LogRecord rec, ByteBuffer out, CRC32C crc) {
        int start = out.position();
        byte effect = effectByte(rec);
        int body = MIN_BODY_BYTES + rec.key().length + rec.value().length + deadlineBytes(effect);
        out.putInt(body);
        out.putInt(0);
        out.putLong(rec.offset());
        out.putLong(rec.epoch());
        out.put(effect);
        out.putLong(rec.clientId());
        out.putLong(rec.sequence());
        out.putInt(rec.key().length);
        out.put(rec.key());
        out.putInt(rec.value().length);
        out.put(rec.value());
        if (deadlineBytes(effect) > 0) {
            out.putLong(rec.deadline());
        }
        int end = out.position();
        out.putInt(start + 4, checksum(out, start, end, crc));
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
        Effect effect = switch (effectByte) {
            case PUT, PUT_WITH_DEADLINE -> Effect.PUT;
            case DELETE -> Effect.DELETE;
            case EXPIRE -> Effect.EXPIRE;
            case EXPIRED -> Effect.EXPIRED;
            case BATCH -> Effect.BATCH;
            default -> throw new CorruptRecordException("unknown effect " + effectByte);
        };
        int extra = deadlineBytes(effectByte);
        int keyLength = buf.getInt(p + 33);
        if (keyLength < 0 || keyLength > body - MIN_BODY_BYTES - extra) {
            throw new CorruptRecordException("key length " + keyLength + " does not fit the record");
        }
        int valueLength = buf.getInt(p + 37 + keyLength);
        if (valueLength != body - MIN_BODY_BYTES - keyLength - extra) {
            throw new CorruptRecordException("value length " + valueLength + " does not fit the record");
        }
        byte[] key = new byte[keyLength];
        buf.get(p + 37, key);
        byte[] value = new byte[valueLength];
        buf.get(p + 41 + keyLength, value);
        long deadline = extra > 0 ? buf.getLong(p + 41 + keyLength + valueLength) : 0;
        LogRecord rec = new LogRecord(offset, epoch, effect, key, value, clientId, sequence, deadline);
        if (effect == Effect.BATCH) {
            BatchCodec.expand(rec); // a payload that does not parse makes the record corrupt
        }
        return rec;
    }
}
