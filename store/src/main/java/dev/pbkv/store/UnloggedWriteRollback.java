package dev.pbkv.store;

import dev.pbkv.store.log.GroupCommitLog;
import dev.pbkv.store.log.SegmentedLog;
import dev.pbkv.store.map.BucketedMap;
import dev.pbkv.store.snapshot.SnapshotEntry;
import dev.pbkv.store.snapshot.SnapshotFiles.SnapshotFile;
import dev.pbkv.store.snapshot.SnapshotReader;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Undoes in the map the writes the log could not take (a full disk): docs/persistence.md, "Full
 * disk and other write errors". Runs on the log thread, after a write failure and before the
 * failed futures complete, under the write lock, so no write interleaves.
 */
final class UnloggedWriteRollback {
    private static final Logger LOG = LoggerFactory.getLogger(UnloggedWriteRollback.class);

    private final BucketedMap map;
    private final HistoryHead head;
    private final SegmentedLog segments;
    private final GroupCommitLog log;
    private final SnapshotManager snapshots;

    UnloggedWriteRollback(
            BucketedMap map, HistoryHead head, SegmentedLog segments, GroupCommitLog log, SnapshotManager snapshots) {
        this.map = map;
        this.head = head;
        this.segments = segments;
        this.log = log;
        this.snapshots = snapshots;
    }

    /**
     * Puts back every key changed by a record the files never received (offsets above held), as
     * it was at offset held. The map cannot undo an effect, so each key's value at held is looked
     * up: its last record in the retained log up to held, else the newest usable snapshot, else
     * absent.
     */
    void undoAbove(long held) {
        head.writeLock.lock();
        try {
            if (head.lastOffset <= held) {
                return;
            }
            List<LogRecord> lost = log.unloggedAfter(held);
            // Each key the lost records touched, with its last record up to held (null: none in the retained log).
            Map<ByteBuffer, LogRecord> lastRecord = new HashMap<>();
            for (LogRecord lostRec : lost) {
                for (LogRecord rec : MapLoader.effectsOf(lostRec)) {
                    lastRecord.put(ByteBuffer.wrap(rec.key()), null);
                }
            }
            long base = segments.baseOffset();
            // An expire changes only the deadline: the value comes from the record before it.
            Map<ByteBuffer, Long> lastExpire = new HashMap<>();
            segments.replay(base, held, logged -> {
                for (LogRecord rec : effectsOfUnchecked(logged)) {
                    ByteBuffer k = ByteBuffer.wrap(rec.key());
                    if (!lastRecord.containsKey(k)) {
                        continue;
                    }
                    if (rec.effect() == Effect.EXPIRE) {
                        lastExpire.put(k, rec.deadline());
                    } else {
                        lastRecord.put(k, rec);
                        lastExpire.remove(k);
                    }
                }
            });
            Map<ByteBuffer, SnapshotEntry> fromSnapshot = new HashMap<>();
            if (lastRecord.containsValue(null) && base > 0) {
                SnapshotFile snap = snapshots.newestHoldingNothingAbove(held);
                if (snap == null) {
                    throw new IOException("no snapshot to look the keys up in");
                }
                SnapshotReader.readAll(snap.path(), new SnapshotReader.Sink() {
                    @Override
                    public void entry(byte[] k, byte[] v, long o) {
                        entry(k, v, o, 0);
                    }

                    @Override
                    public void entry(byte[] k, byte[] v, long o, long deadline) {
                        ByteBuffer key = ByteBuffer.wrap(k);
                        if (lastRecord.containsKey(key) && lastRecord.get(key) == null) {
                            fromSnapshot.put(key, new SnapshotEntry(k, v, o, deadline));
                        }
                    }
                });
            }
            for (Map.Entry<ByteBuffer, LogRecord> e : lastRecord.entrySet()) {
                byte[] key = e.getKey().array();
                LogRecord rec = e.getValue();
                SnapshotEntry snapped = fromSnapshot.get(e.getKey());
                Long expire = lastExpire.get(e.getKey());
                if (rec != null && rec.effect() == Effect.PUT) {
                    map.put(key, rec.value(), rec.offset(), expire != null ? expire : rec.deadline());
                } else if (rec == null && snapped != null) {
                    map.put(key, snapped.value(), snapped.offset(), expire != null ? expire : snapped.deadline());
                } else {
                    map.delete(key, held);
                }
            }
            head.lastOffset = held;
            head.lastEpoch = segments.lastEpoch();
            LOG.error(
                    "the log of {} cannot be written ({}); the {} writes above offset {} were undone in the map "
                            + "and the store refuses writes until it is reopened",
                    head.dir,
                    log.failure(),
                    lost.size(),
                    held);
        } catch (IOException | TailNotRetainedException | RuntimeException e) {
            // (a batch record that does not parse arrives here as an UncheckedIOException)
            LOG.error(
                    "the log of {} cannot be written ({}) and the writes above offset {} could not be undone in "
                            + "the map ({}); they are not durable and their futures fail",
                    head.dir,
                    log.failure(),
                    held,
                    e.toString());
        } finally {
            head.writeLock.unlock();
        }
    }

    private static List<LogRecord> effectsOfUnchecked(LogRecord rec) {
        try {
            return MapLoader.effectsOf(rec);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }
}
