package dev.pbkv.store;

import dev.pbkv.store.log.SegmentedLog;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.zip.CRC32C;

/**
 * The durable epoch: {@code epoch.meta} = int32 magic "PBKE" | int32 version 1 | int64 epoch |
 * int32 CRC32C of the 16 bytes before. Replaced by writing a temp file, forcing it, renaming it
 * atomically over the old one and forcing the directory.
 */
final class EpochFile {
    static final String NAME = "epoch.meta";
    private static final int MAGIC = 0x50424B45; // "PBKE"
    private static final int VERSION = 1;
    private static final int BYTES = 20;

    private EpochFile() {}

    /** The stored epoch, 0 when there is no file yet. A damaged file is an error: the epoch guards against two primaries. */
    static long read(Path dir) throws IOException {
        Path p = dir.resolve(NAME);
        if (!Files.exists(p)) {
            return 0;
        }
        byte[] b = Files.readAllBytes(p);
        ByteBuffer buf = ByteBuffer.wrap(b);
        CRC32C crc = new CRC32C();
        if (b.length == BYTES) {
            crc.update(b, 0, BYTES - 4);
        }
        if (b.length != BYTES
                || buf.getInt(0) != MAGIC
                || buf.getInt(4) != VERSION
                || (int) crc.getValue() != buf.getInt(16)) {
            throw new IOException(p + " is damaged; refusing to guess the epoch (restore it or remove it knowingly)");
        }
        return buf.getLong(8);
    }

    static void write(Path dir, long epoch) throws IOException {
        ByteBuffer buf = ByteBuffer.allocate(BYTES);
        buf.putInt(MAGIC).putInt(VERSION).putLong(epoch);
        CRC32C crc = new CRC32C();
        crc.update(buf.array(), 0, BYTES - 4);
        buf.putInt((int) crc.getValue());
        buf.flip();
        Path tmp = dir.resolve(NAME + ".tmp");
        try (FileChannel ch = FileChannel.open(
                tmp, StandardOpenOption.CREATE, StandardOpenOption.TRUNCATE_EXISTING, StandardOpenOption.WRITE)) {
            while (buf.hasRemaining()) {
                ch.write(buf);
            }
            ch.force(true);
        }
        Files.move(tmp, dir.resolve(NAME), StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        SegmentedLog.syncDirectory(dir);
    }
}
