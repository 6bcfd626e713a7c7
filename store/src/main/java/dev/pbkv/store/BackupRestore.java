package dev.pbkv.store;

import dev.pbkv.store.log.SegmentedLog;
import dev.pbkv.store.snapshot.CompressedSnapshots;
import dev.pbkv.store.snapshot.SnapshotHeader;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Comparator;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Seeds an empty store from a backup file (docs/persistence.md, "Restore"). Nothing is
 * half-loaded: the whole file is checked first (frame, checksum, entries, CRC); it is then
 * installed into a fresh directory beside the store's ({@code <dir>.restore}), which is checked
 * again (offset, key count) and only then renamed into the store's place. A crash before the
 * rename leaves the store as it was (the fresh directory is redone by the next restore).
 *
 * <p>Runs before the store is opened for service: nobody else has either directory.
 */
final class BackupRestore {
    private static final Logger LOG = LoggerFactory.getLogger(BackupRestore.class);

    private BackupRestore() {}

    static BackupInfo restore(Path file, StoreConfig config) throws IOException {
        SnapshotHeader header = CompressedSnapshots.verify(file);
        if (header.offset() != header.endOffset()) {
            throw new IOException("backup " + file + " is a fuzzy snapshot (offset " + header.offset() + ", end offset "
                    + header.endOffset() + "), not a backup; nothing was loaded");
        }
        Path dir = config.dataDir();
        requireEmpty(dir, config);
        Path fresh = dir.resolveSibling(dir.getFileName() + ".restore");
        deleteTree(fresh);
        Files.createDirectories(fresh);
        StoreConfig freshConfig = new StoreConfig(
                fresh, config.map(), config.fsync(), config.snapshotLogBytes(), config.retainedLogBytes());
        try (Store store = Store.open(freshConfig)) {
            try (InputStream in = CompressedSnapshots.open(Files.newInputStream(file))) {
                store.installSnapshot(in);
            }
            if (store.lastOffset() != header.offset()
                    || store.count() != header.entries()
                    || !store.isConsistentPrefix()) {
                throw new IOException("restoring " + file + " gave " + store.count() + " keys at offset "
                        + store.lastOffset() + ", the backup holds " + header.entries() + " at "
                        + header.offset() + "; nothing was loaded");
            }
        } catch (IOException | RuntimeException e) {
            deleteTree(fresh);
            throw e;
        }
        deleteTree(dir);
        Files.move(fresh, dir, StandardCopyOption.ATOMIC_MOVE);
        SegmentedLog.syncDirectory(dir.toAbsolutePath().getParent());
        LOG.info(
                "restored {} into {}: {} keys at offset {} (epoch {})",
                file,
                dir,
                header.entries(),
                header.offset(),
                header.epoch());
        return new BackupInfo(file, header.offset(), header.epoch(), header.entries(), Files.size(file));
    }

    /** Refuses a store that holds anything: a restore replaces the whole history. */
    private static void requireEmpty(Path dir, StoreConfig config) throws IOException {
        if (!Files.isDirectory(dir)) {
            return;
        }
        try (Stream<Path> files = Files.list(dir)) {
            if (files.findAny().isEmpty()) {
                return;
            }
        }
        try (Store existing = Store.open(config)) {
            if (existing.lastOffset() != 0 || existing.count() != 0) {
                throw new IOException("refusing to restore into " + dir + ": the store is not empty ("
                        + existing.count() + " keys, last offset " + existing.lastOffset()
                        + "); a restore only seeds an empty store (move that data directory away first)");
            }
        }
    }

    private static void deleteTree(Path root) throws IOException {
        if (!Files.exists(root)) {
            return;
        }
        try (Stream<Path> all = Files.walk(root)) {
            for (Path p : all.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(p);
            }
        }
    }
}
