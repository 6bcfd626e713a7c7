package dev.pbkv.store.snapshot;

import java.io.BufferedOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.util.zip.CRC32C;
import java.util.zip.CheckedOutputStream;

/**
 * Writes the snapshot format (big-endian), see docs/persistence.md:
 *
 * <pre>
 * header   int32 magic "PBKS" | int32 version 1 | int64 offset S | int64 epoch at S
 * entries  int32 keyLength (&gt; 0) | key | int32 valueLength | value | int64 offset of the entry's last write
 *          [| int64 deadline, only when valueLength has its top bit set (the length is the low 31 bits)]
 * trailer  int32 -1 | int64 entry count | int64 end offset | int32 CRC32C of every byte before it
 * </pre>
 *
 * A snapshot is fuzzy: copied bucket by bucket while writes go on, it reflects every record up to
 * S and some records in (S, end]; replaying the log records above S makes it exact (effects are
 * idempotent). The end offset bounds every effect it may hold.
 *
 * <p>An entry with a deadline (epoch milliseconds of the primary's clock) marks it with the top bit
 * of its value length ({@link #HAS_DEADLINE}) and appends it after the offset; an entry without one
 * is written exactly as before deadlines existed, so old snapshots read unchanged.
 */
public final class SnapshotWriter implements AutoCloseable {
    public static final int MAGIC = 0x50424B53; // "PBKS"
    public static final int VERSION = 1;
    public static final int HEADER_BYTES = 24;
    public static final int TRAILER_BYTES = 24;
    static final int END_MARKER = -1;
    /** Set in an entry's value length when a deadline follows its offset. */
    public static final int HAS_DEADLINE = 0x8000_0000;

    private final OutputStream raw;
    private final CheckedOutputStream checked;
    private final DataOutputStream out;
    private long entries;
    private long bytes;

    public SnapshotWriter(OutputStream target, long offset, long epoch) throws IOException {
        this.raw = new BufferedOutputStream(target, 256 << 10);
        this.checked = new CheckedOutputStream(raw, new CRC32C());
        this.out = new DataOutputStream(checked);
        out.writeInt(MAGIC);
        out.writeInt(VERSION);
        out.writeLong(offset);
        out.writeLong(epoch);
        bytes = HEADER_BYTES;
    }

    public void entry(byte[] key, byte[] value, long offset) throws IOException {
        entry(key, value, offset, 0);
    }

    /** An entry that expires at deadline (epoch milliseconds; 0: never). */
    public void entry(byte[] key, byte[] value, long offset, long deadline) throws IOException {
        out.writeInt(key.length);
        out.write(key);
        out.writeInt(deadline == 0 ? value.length : value.length | HAS_DEADLINE);
        out.write(value);
        out.writeLong(offset);
        if (deadline != 0) {
            out.writeLong(deadline);
        }
        entries++;
        bytes += 16L + key.length + value.length + (deadline == 0 ? 0 : 8);
    }

    /** A sink that writes every entry it is fed here, deadlines included (copying a snapshot). */
    public SnapshotReader.Sink sink() {
        return new SnapshotReader.Sink() {
            @Override
            public void entry(byte[] key, byte[] value, long offset) throws IOException {
                SnapshotWriter.this.entry(key, value, offset, 0);
            }

            @Override
            public void entry(byte[] key, byte[] value, long offset, long deadline) throws IOException {
                SnapshotWriter.this.entry(key, value, offset, deadline);
            }
        };
    }

    /** Writes entries already encoded in the entry layout (a bucket copied under its lock). */
    public void entries(byte[] encoded, int length, long count) throws IOException {
        out.write(encoded, 0, length);
        entries += count;
        bytes += length;
    }

    /**
     * Writes the trailer and flushes; the caller forces and closes the target. endOffset: no
     * entry reflects a record above it.
     */
    public void finish(long endOffset) throws IOException {
        out.writeInt(END_MARKER);
        out.writeLong(entries);
        out.writeLong(endOffset);
        out.flush();
        int crc = (int) checked.getChecksum().getValue();
        raw.write(crc >>> 24);
        raw.write(crc >>> 16);
        raw.write(crc >>> 8);
        raw.write(crc);
        raw.flush();
        bytes += TRAILER_BYTES;
    }

    public long entryCount() {
        return entries;
    }

    public long bytes() {
        return bytes;
    }

    @Override
    public void close() throws IOException {
        raw.close();
    }
}
