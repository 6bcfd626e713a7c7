package dev.pbkv.store;

import dev.pbkv.store.log.GroupCommitLog;
import dev.pbkv.store.log.SegmentedLog;
import dev.pbkv.store.map.BucketedMap;
import dev.pbkv.store.snapshot.SnapshotFiles.SnapshotFile;
import dev.pbkv.store.snapshot.SnapshotReader;
import java.io.IOException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Discards a divergent tail: every record above an offset, from the log, the snapshots and the
 * map. Runs on the caller's thread (the replicator's) under the maintenance lock and then the
 * write lock (see {@link HistoryHead}), so neither a write nor a snapshot interleaves.
 */
final class TailTruncation {
    private static final Logger LOG = LoggerFactory.getLogger(TailTruncation.class);

    private final BucketedMap map;
    private final HistoryHead head;
    private final SegmentedLog segments;
    private final GroupCommitLog log;
    private final SnapshotManager snapshots;

    TailTruncation(
            BucketedMap map, HistoryHead head, SegmentedLog segments, GroupCommitLog log, SnapshotManager snapshots) {
        this.map = map;
        this.head = head;
        this.segments = segments;
        this.log = log;
        this.snapshots = snapshots;
    }

    /**
     * Discards every record above offset and rebuilds the map without them: the divergent tail
     * of an old primary. Returns the number of records dropped. The map cannot undo an effect,
     * so it is rebuilt from the newest snapshot that holds nothing above offset plus the log up
     * to offset; snapshots above offset are deleted first so a crash cannot bring the tail back.
     * Throws IOException when no such snapshot or log remains (the caller then needs a full
     * snapshot from its peer).
     */
    long truncateAfter(long offset) throws IOException {
        if (offset < 0) {
            throw new IllegalArgumentException("offset must not be negative: " + offset);
        }
        head.maintenanceLock.lock();
        try {
            head.writeLock.lock();
            try {
                head.requireOpen();
                if (offset >= head.lastOffset) {
                    return 0;
                }
                log.drain();
                long base = segments.baseOffset();
                SnapshotFile from = snapshots.newestHoldingNothingAbove(offset);
                if (from == null && base > 0) {
                    throw new IOException("cannot cut the log back to offset " + offset + ": the log starts after "
                            + base + " and no snapshot at or below it remains");
                }
                if (from != null) {
                    // Read it through (CRC) before anything is cut: a damaged file must fail here, not halfway.
                    SnapshotReader.readAll(from.path(), (k, v, o) -> {});
                }
                long dropped = head.lastOffset - offset;
                snapshots.deleteHoldingAbove(offset);
                segments.syncDirectory();
                segments.truncateAfter(offset);
                map.clear();
                long replayFrom = 0;
                head.fuzzyEnd = 0;
                if (from != null) {
                    head.fuzzyEnd = MapLoader.loadSnapshot(map, from.path()).endOffset();
                    replayFrom = from.offset();
                }
                MapLoader.replay(map, segments, replayFrom, offset);
                head.lastOffset = offset;
                head.lastEpoch = segments.lastEpoch();
                log.resetTo(offset);
                LOG.info("discarded {} log records above offset {} (a divergent tail)", dropped, offset);
                return dropped;
            } finally {
                head.writeLock.unlock();
            }
        } finally {
            head.maintenanceLock.unlock();
        }
    }
}
