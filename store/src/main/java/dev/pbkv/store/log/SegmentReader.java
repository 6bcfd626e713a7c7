package dev.pbkv.store.log;

import dev.pbkv.store.LogRecord;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.util.zip.CRC32C;

/** Reads the records of one segment in order, from a position up to a limit, through a window buffer. */
final class SegmentReader {
    private final FileChannel channel;
    private final long limit;
    private final CRC32C crc = new CRC32C();
    private ByteBuffer window = ByteBuffer.allocate(64 << 10);
    /** File position of window's byte 0. */
    private long windowStart;
    /** File position of the next record. */
    private long position;

    SegmentReader(FileChannel channel, long start, long limit) {
        this.channel = channel;
        this.limit = limit;
        this.windowStart = start;
        this.position = start;
        window.limit(0);
    }

    /** File position of the next record (of the damaged one after a {@link RecordCodec.CorruptRecordException}). */
    long position() {
        return position;
    }

    /** The next record, or null at a clean end (no bytes left before the limit). */
    LogRecord next() throws IOException, RecordCodec.CorruptRecordException {
        long left = limit - position;
        if (left == 0) {
            return null;
        }
        if (left < RecordCodec.HEADER_BYTES) {
            throw new RecordCodec.CorruptRecordException("partial record header of " + left + " bytes");
        }
        ensure(RecordCodec.HEADER_BYTES);
        int at = (int) (position - windowStart);
        int body = window.getInt(at);
        if (body < RecordCodec.MIN_BODY_BYTES) {
            throw new RecordCodec.CorruptRecordException("record length " + body + " below the minimum");
        }
        if ((long) RecordCodec.HEADER_BYTES + body > left) {
            throw new RecordCodec.CorruptRecordException("record length " + body + " runs past the end ("
                    + (left - RecordCodec.HEADER_BYTES) + " bytes left)");
        }
        int total = RecordCodec.HEADER_BYTES + body;
        ensure(total);
        at = (int) (position - windowStart);
        LogRecord rec = RecordCodec.decode(window, at, crc);
        position += total;
        return rec;
    }

    /** Makes at least n bytes from position available in the window (the caller checked the limit). */
    private void ensure(int n) throws IOException {
        int at = (int) (position - windowStart);
        if (window.limit() - at >= n) {
            return;
        }
        int kept = window.limit() - at;
        window.position(at);
        if (window.capacity() >= n) {
            window.compact();
        } else {
            ByteBuffer bigger = ByteBuffer.allocate(Math.max(n, window.capacity() * 2));
            bigger.put(window);
            window = bigger;
        }
        windowStart = position;
        long readAt = position + kept;
        while (window.position() < n) {
            long room = Math.min(window.remaining(), limit - readAt);
            if (room <= 0) {
                throw new IOException("segment ends early at " + readAt);
            }
            int savedLimit = window.limit();
            window.limit(window.position() + (int) room);
            int read = channel.read(window, readAt);
            window.limit(savedLimit);
            if (read < 0) {
                throw new IOException("segment ends early at " + readAt);
            }
            readAt += read;
        }
        window.flip();
    }
}
