package dev.pbkv.store.log;

import dev.pbkv.store.LogRecord;

import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.zip.CRC32C;

/**
 * Encoded records waiting for the log thread, with sparse index points (record offset, position
 * in the batch) every {@link SegmentedLog#INDEX_INTERVAL} bytes. Not thread-safe: the group
 * committer guards the batch being filled with its lock and hands a full one to the log thread.
 */
final class Batch {
    private static final int INITIAL_BYTES = 1 << 20;

    ByteBuffer buf = ByteBuffer.allocateDirect(INITIAL_BYTES);
    long firstOffset;
    long lastOffset;
    long lastEpoch;
    int records;
    long[] indexOffsets = new long[64];
    int[] indexPositions = new int[64];
    int indexCount;
    private int lastIndexPosition;
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
        int position = buf.position();
        if (records == 0 || position - lastIndexPosition >= SegmentedLog.INDEX_INTERVAL) {
            if (indexCount == indexOffsets.length) {
                indexOffsets = Arrays.copyOf(indexOffsets, indexCount * 2);
                indexPositions = Arrays.copyOf(indexPositions, indexCount * 2);
            }
            indexOffsets[indexCount] = rec.offset();
            indexPositions[indexCount] = position;
            indexCount++;
            lastIndexPosition = position;
        }
        RecordCodec.encode(rec, buf, crc);
        if (records == 0) {
            firstOffset = rec.offset();
        }
        lastOffset = rec.offset();
        lastEpoch = rec.epoch();
        records++;
    }

    void clear() {
        buf.clear();
        records = 0;
        indexCount = 0;
        lastIndexPosition = 0;
    }
}
