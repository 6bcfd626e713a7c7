package dev.pbkv.store.log;

import dev.pbkv.store.LogRecord;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.zip.CRC32C;

/**
 * Encoded records waiting for the log thread, with the start position of each record (so the
 * log thread can roll segments between records). Not thread-safe: the group committer guards
 * the batch being filled with its lock and hands a full one to the log thread.
 */
final class Batch {
    private static final int INITIAL_BYTES = 1 << 20;

    ByteBuffer buf = ByteBuffer.allocateDirect(INITIAL_BYTES);
    long firstOffset;
    long lastOffset;
    int records;
    /** Start of record i (offset firstOffset + i) in buf. */
    int[] positions = new int[1024];

    private final CRC32C crc = new CRC32C();

    boolean isEmpty() {
        return records == 0;
    }

    int bytes() {
        return buf.position();
    }

    void add(LogRecord rec) {
        int size = RecordCodec.encodedSize(rec);
        if (buf.remaining() < size) {
            ByteBuffer bigger = ByteBuffer.allocateDirect(Math.max(buf.capacity() * 2, buf.position() + size));
            buf.flip();
            bigger.put(buf);
            buf = bigger;
        }
        if (records == positions.length) {
            positions = Arrays.copyOf(positions, records * 2);
        }
        positions[records] = buf.position();
        RecordCodec.encode(rec, buf, crc);
        if (records == 0) {
            firstOffset = rec.offset();
        }
        lastOffset = rec.offset();
        records++;
    }

    /** End of record i in buf. */
    int end(int i) {
        return i + 1 < records ? positions[i + 1] : buf.position();
    }

    /** Epoch of record i, read back from its encoding. */
    long epoch(int i) {
        return buf.getLong(positions[i] + RecordCodec.HEADER_BYTES + 8);
    }

    /** The records of this batch, decoded back (after a failure, to undo them). */
    java.util.List<LogRecord> decode() {
        java.util.List<LogRecord> out = new java.util.ArrayList<>(records);
        for (int i = 0; i < records; i++) {
            try {
                out.add(RecordCodec.decode(buf, positions[i], crc));
            } catch (RecordCodec.CorruptRecordException e) {
                throw new IllegalStateException("a queued record does not decode", e);
            }
        }
        return out;
    }

    void clear() {
        buf.clear();
        records = 0;
    }
}
