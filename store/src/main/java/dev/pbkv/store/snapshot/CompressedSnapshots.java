package dev.pbkv.store.snapshot;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import net.jpountz.lz4.LZ4Exception;
import net.jpountz.lz4.LZ4FrameInputStream;
import net.jpountz.lz4.LZ4FrameOutputStream;

/**
 * The snapshot format inside an LZ4 frame: the format of backup files (docs/persistence.md,
 * "Backups"). The frame carries its own content checksum (xxHash32 of the uncompressed bytes,
 * checked at the frame's end) on top of the snapshot's CRC32C trailer, so a damaged file is
 * refused whether the damage breaks the compression or only the bytes it decodes to.
 *
 * <p>{@link #open} reads a compressed or a plain snapshot stream alike (the first four bytes say
 * which): one reader for the store's own snapshots and for backups.
 */
public final class CompressedSnapshots {
    /** The LZ4 frame's magic number as it appears in a file (little-endian 0x184D2204). */
    private static final byte[] LZ4_MAGIC = {0x04, 0x22, 0x4D, 0x18};

    private CompressedSnapshots() {}

    /** Compresses what is written into an LZ4 frame on out; closing it writes the frame's end and checksum. */
    public static OutputStream compressing(OutputStream out) throws IOException {
        return new LZ4FrameOutputStream(
                out,
                LZ4FrameOutputStream.BLOCKSIZE.SIZE_1MB,
                LZ4FrameOutputStream.FLG.Bits.BLOCK_INDEPENDENCE,
                LZ4FrameOutputStream.FLG.Bits.CONTENT_CHECKSUM);
    }

    /** The plain snapshot bytes of in, which holds either an LZ4 frame of them or the plain format. */
    public static InputStream open(InputStream in) throws IOException {
        BufferedInputStream b = new BufferedInputStream(in, 64 << 10);
        b.mark(LZ4_MAGIC.length);
        byte[] first = b.readNBytes(LZ4_MAGIC.length);
        b.reset();
        if (java.util.Arrays.equals(first, LZ4_MAGIC)) {
            return new LZ4FrameInputStream(b);
        }
        return b;
    }

    /**
     * Reads a whole compressed (or plain) snapshot file and checks everything: the frame, its
     * checksum, every entry and the snapshot's CRC. Returns its header; a truncated or corrupt file
     * is an IOException whose message names the file and says what is wrong with it.
     */
    public static SnapshotHeader verify(Path file) throws IOException {
        if (!Files.isRegularFile(file)) {
            throw new IOException("backup " + file + " does not exist or is not a file");
        }
        try (InputStream plain = open(Files.newInputStream(file));
                SnapshotReader r = new SnapshotReader(plain)) {
            r.readAll((key, value, offset) -> {});
            SnapshotHeader h = r.header();
            if (plain.read() >= 0) {
                throw new IOException("bytes follow the snapshot's trailer");
            }
            return h;
        } catch (IOException | LZ4Exception | IllegalStateException e) {
            throw new IOException(
                    "backup " + file + " is truncated or corrupt (" + describe(e) + "); nothing was loaded", e);
        }
    }

    private static String describe(Throwable e) {
        String m = e.getMessage();
        Throwable c = e.getCause();
        if (c != null && c.getMessage() != null && !c.getMessage().equals(m)) {
            m = m + ": " + c.getMessage();
        }
        return m == null ? e.getClass().getSimpleName() : m;
    }
}
