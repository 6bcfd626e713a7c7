package dev.pbkv.store.snapshot;

import java.io.BufferedInputStream;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.zip.CRC32C;
import java.util.zip.CheckedInputStream;

/**
 * Streams a snapshot written by {@link SnapshotWriter}, one entry at a time. The CRC is only
 * known at the end: a caller that loads entries as it reads must be ready to undo them when
 * {@link #next} throws.
 */
public final class SnapshotReader implements AutoCloseable {
    /** Sanity bounds that stop a damaged length from asking for gigabytes. */
    private static final int MAX_KEY_BYTES = 64 << 20;

    private static final int MAX_VALUE_BYTES = 1 << 30;

    /** Receives one entry. */
    @FunctionalInterface
    public interface Sink {
        void entry(byte[] key, byte[] value, long offset) throws IOException;

        /** Called for every entry with its deadline (0: none); sinks that keep deadlines override it. */
        default void entry(byte[] key, byte[] value, long offset, long deadline) throws IOException {
            entry(key, value, offset);
        }
    }

    private final InputStream raw;
    private final CheckedInputStream checked;
    private final DataInputStream in;
    private final long offset;
    private final long epoch;
    private long entries;
    private long endOffset = -1;
    private boolean done;

    public SnapshotReader(InputStream source) throws IOException {
        this.raw = new BufferedInputStream(source, 256 << 10);
        this.checked = new CheckedInputStream(raw, new CRC32C());
        this.in = new DataInputStream(checked);
        try {
            int magic = in.readInt();
            int version = in.readInt();
            if (magic != SnapshotWriter.MAGIC) {
                throw new IOException("not a pbkv snapshot (magic " + Integer.toHexString(magic) + ")");
            }
            if (version != SnapshotWriter.VERSION) {
                throw new IOException("unsupported snapshot version " + version);
            }
            offset = in.readLong();
            epoch = in.readLong();
        } catch (EOFException e) {
            throw new IOException("snapshot header torn", e);
        }
    }

    /** Every record up to and including this offset is reflected in the snapshot. */
    public long offset() {
        return offset;
    }

    public long epoch() {
        return epoch;
    }

    /** No entry reflects a record above this offset; known once {@link #next} has returned false. */
    public long endOffset() {
        if (!done) {
            throw new IllegalStateException("the trailer has not been read yet");
        }
        return endOffset;
    }

    /** The header and the trailer, checked; known once {@link #next} has returned false. */
    public SnapshotHeader header() {
        return new SnapshotHeader(offset, epoch, entries, endOffset());
    }

    /** Reads the header and the unchecked trailer of a snapshot file, without reading its entries. */
    public static SnapshotHeader peek(Path file) throws IOException {
        try (FileChannel ch = FileChannel.open(file)) {
            long size = ch.size();
            if (size < SnapshotWriter.HEADER_BYTES + SnapshotWriter.TRAILER_BYTES) {
                throw new IOException("snapshot " + file + " too short");
            }
            ByteBuffer head = ByteBuffer.allocate(SnapshotWriter.HEADER_BYTES);
            ByteBuffer tail = ByteBuffer.allocate(SnapshotWriter.TRAILER_BYTES);
            while (head.hasRemaining() && ch.read(head, head.position()) > 0) {
                // fill
            }
            long at = size - SnapshotWriter.TRAILER_BYTES;
            while (tail.hasRemaining() && ch.read(tail, at + tail.position()) > 0) {
                // fill
            }
            if (head.getInt(0) != SnapshotWriter.MAGIC || tail.getInt(0) != SnapshotWriter.END_MARKER) {
                throw new IOException("snapshot " + file + " damaged");
            }
            return new SnapshotHeader(head.getLong(8), head.getLong(16), tail.getLong(4), tail.getLong(12));
        }
    }

    /** Reads a whole snapshot file, checking its CRC, and returns its header and trailer. */
    public static SnapshotHeader readAll(Path file, Sink sink) throws IOException {
        try (SnapshotReader r = new SnapshotReader(Files.newInputStream(file))) {
            r.readAll(sink);
            return r.header();
        }
    }

    /**
     * Reads the next entry into sink and returns true, or checks the trailer and returns false
     * at the end. Throws IOException when the snapshot is torn or its CRC does not match.
     */
    public boolean next(Sink sink) throws IOException {
        if (done) {
            return false;
        }
        try {
            int keyLength = in.readInt();
            if (keyLength == SnapshotWriter.END_MARKER) {
                long count = in.readLong();
                long end = in.readLong();
                int expected = (int) checked.getChecksum().getValue();
                int stored = 0;
                for (int i = 0; i < 4; i++) {
                    int b = raw.read();
                    if (b < 0) {
                        throw new IOException("snapshot torn in its trailer");
                    }
                    stored = (stored << 8) | b;
                }
                if (stored != expected) {
                    throw new IOException("snapshot crc mismatch");
                }
                if (count != entries) {
                    throw new IOException("snapshot says " + count + " entries, holds " + entries);
                }
                endOffset = end;
                done = true;
                return false;
            }
            if (keyLength <= 0 || keyLength > MAX_KEY_BYTES) {
                throw new IOException("snapshot damaged: key length " + keyLength);
            }
            byte[] key = new byte[keyLength];
            in.readFully(key);
            int lengthField = in.readInt();
            boolean hasDeadline = (lengthField & SnapshotWriter.HAS_DEADLINE) != 0;
            int valueLength = lengthField & ~SnapshotWriter.HAS_DEADLINE;
            if (valueLength > MAX_VALUE_BYTES) {
                throw new IOException("snapshot damaged: value length " + valueLength);
            }
            byte[] value = new byte[valueLength];
            in.readFully(value);
            long entryOffset = in.readLong();
            long deadline = hasDeadline ? in.readLong() : 0;
            if (hasDeadline && deadline <= 0) {
                throw new IOException("snapshot damaged: deadline " + deadline);
            }
            entries++;
            sink.entry(key, value, entryOffset, deadline);
            return true;
        } catch (EOFException e) {
            throw new IOException("snapshot torn after " + entries + " entries", e);
        }
    }

    /** Reads to the end, checking the CRC, feeding every entry to sink. */
    public void readAll(Sink sink) throws IOException {
        while (next(sink)) {
            // next feeds the sink
        }
    }

    @Override
    public void close() throws IOException {
        raw.close();
    }
}
