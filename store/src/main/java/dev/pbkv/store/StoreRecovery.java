package dev.pbkv.store;

import dev.pbkv.store.log.SegmentChannelFactory;
import dev.pbkv.store.log.SegmentedLog;
import dev.pbkv.store.map.BucketedMap;
import dev.pbkv.store.snapshot.SnapshotFiles;
import dev.pbkv.store.snapshot.SnapshotFiles.SnapshotFile;
import dev.pbkv.store.snapshot.SnapshotHeader;
import dev.pbkv.store.snapshot.SnapshotReader;
import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Recovery at open (docs/persistence.md, "Recovery"): finishes an install a crash interrupted,
 * opens and checks the log (cutting a torn tail), loads the newest usable snapshot into the map
 * and replays the log after it. Runs once, on the thread that opens the store, before any other
 * thread can see the store: it takes no lock.
 */
final class StoreRecovery {
    private static final Logger LOG = LoggerFactory.getLogger(StoreRecovery.class);

    /** What recovery found: the open log and where the history stands. */
    record Recovered(SegmentedLog segments, long lastOffset, long lastEpoch, long epoch, long fuzzyEnd) {}

    private StoreRecovery() {}

    /** Recovers config's data directory into map (empty). On failure the log is closed again. */
    static Recovered recover(StoreConfig config, SegmentChannelFactory channels, BucketedMap map) throws IOException {
        Path dir = config.dataDir();
        SnapshotFiles.deleteTemporaries(dir);
        long storedEpoch = EpochFile.read(dir);
        Path install = dir.resolve(SnapshotFiles.INSTALL);
        if (Files.exists(install)) {
            SnapshotHeader head = SnapshotReader.peek(install);
            LOG.info("finishing the install of a peer's snapshot at offset {} interrupted by a crash", head.offset());
            deleteFiles(dir, "log-*.seg");
            finishInstallFiles(dir, install, head.offset());
        }
        SegmentedLog segments = SegmentedLog.open(dir, segmentBytes(config), channels);
        try {
            return recoverMap(dir, storedEpoch, segments, map);
        } catch (IOException | RuntimeException e) {
            segments.close();
            throw e;
        }
    }

    private static Recovered recoverMap(Path dir, long storedEpoch, SegmentedLog segments, BucketedMap map)
            throws IOException {
        long base = segments.isEmpty() ? 0 : segments.baseOffset();
        long logLast = segments.lastOffset();
        SnapshotHeader loaded = null;
        for (SnapshotFile snap : SnapshotFiles.list(dir)) {
            if (!segments.isEmpty() && snap.offset() < base) {
                LOG.warn("snapshot {} is older than the log's start (offset {}); it cannot be used", snap.path(), base);
                continue;
            }
            try {
                map.clear();
                loaded = MapLoader.loadSnapshot(map, snap.path());
                break;
            } catch (IOException e) {
                map.clear();
                LOG.warn("snapshot {} is unusable ({}); trying an older one", snap.path(), e.getMessage());
            }
        }
        if (loaded == null && base > 0) {
            throw new IOException(
                    "cannot recover " + dir + ": no usable snapshot and the log starts after offset " + base);
        }
        long snapOffset = loaded == null ? 0 : loaded.offset();
        long snapEpoch = loaded == null ? 0 : loaded.epoch();
        if (segments.isEmpty() || snapOffset > logLast) {
            if (!segments.isEmpty()) {
                LOG.warn(
                        "snapshot at offset {} is newer than the log's end ({}); the log restarts at the snapshot",
                        snapOffset,
                        logLast);
            }
            segments.startAt(snapOffset, snapEpoch);
        } else {
            MapLoader.replay(map, segments, snapOffset, logLast);
        }
        long lastOffset = segments.lastOffset();
        long epoch = Math.max(Math.max(storedEpoch, segments.lastEpoch()), Math.max(snapEpoch, segments.baseEpoch()));
        LOG.info(
                "store {} recovered: snapshot at offset {}, log offsets {}..{}, {} entries, epoch {}",
                dir,
                loaded != null ? snapOffset : "none",
                segments.baseOffset() + 1,
                lastOffset,
                map.count(),
                epoch);
        return new Recovered(
                segments, lastOffset, segments.lastEpoch(), epoch, loaded == null ? 0 : loaded.endOffset());
    }

    /** Log segments roll at a quarter of the smaller of the snapshot and retention sizes, within 4 KiB..64 MiB. */
    static long segmentBytes(StoreConfig c) {
        long basis =
                c.retainedLogBytes() > 0 ? Math.min(c.snapshotLogBytes(), c.retainedLogBytes()) : c.snapshotLogBytes();
        return Math.max(4096, Math.min(64L << 20, basis / 4));
    }

    /**
     * The last steps of an install, safe to repeat (recovery repeats them after a crash): drop
     * the old snapshots, rename install.snap into place, force the directory.
     */
    static void finishInstallFiles(Path dir, Path install, long offset) throws IOException {
        deleteFiles(dir, "snapshot-*.snap");
        Files.move(install, SnapshotFiles.pathFor(dir, offset), StandardCopyOption.ATOMIC_MOVE);
        SegmentedLog.syncDirectory(dir);
    }

    private static void deleteFiles(Path dir, String glob) throws IOException {
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir, glob)) {
            for (Path p : ds) {
                Files.deleteIfExists(p);
            }
        }
    }
}
