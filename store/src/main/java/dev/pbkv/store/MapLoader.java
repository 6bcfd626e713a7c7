package dev.pbkv.store;

import dev.pbkv.store.log.BatchCodec;
import dev.pbkv.store.log.RecordCodec;
import dev.pbkv.store.log.SegmentedLog;
import dev.pbkv.store.map.BucketedMap;
import dev.pbkv.store.snapshot.SnapshotHeader;
import dev.pbkv.store.snapshot.SnapshotReader;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.List;

/**
 * Fills the map from a snapshot file and from log records: recovery, truncation, an install and
 * the backup's replicated records all change the map this one way. Runs on the caller's thread;
 * the caller keeps other writers out (recovery: nobody else has the store yet; otherwise the
 * store's write lock).
 */
final class MapLoader {
    private MapLoader() {}

    /**
     * Applies a record's effect to the map (every effect is idempotent). The clock plays no part:
     * a record's deadline is stored as it is, expired or not. Throws IOException
     * when the map cannot hold it (out of memory, or an entry too large for the arena): then the
     * map is unchanged.
     */
    static WriteOutcome applyEffect(BucketedMap map, LogRecord rec) throws IOException {
        if (rec.effect() == Effect.BATCH) {
            // All of the batch or, when the arena refuses an effect, none of it.
            BatchApply.Failure refused = BatchApply.applyEffects(map, expand(rec), rec.offset());
            if (refused != null) {
                throw new IOException("cannot apply batch record " + rec.offset() + ": effect " + refused.index() + " "
                        + refused.outcome() + " (is store.memory smaller than the data?); none of it applied");
            }
            return WriteOutcome.APPLIED;
        }
        WriteOutcome r = switch (rec.effect()) {
            case PUT -> map.put(rec.key(), rec.value(), rec.offset(), rec.deadline());
            case DELETE, EXPIRED -> map.delete(rec.key(), rec.offset());
            // Absent on a replay over a fuzzy snapshot that already holds a later delete: fine.
            case EXPIRE -> map.setDeadline(rec.key(), rec.deadline(), rec.offset());
            case BATCH -> throw new IllegalStateException("a batch is applied above");
        };
        if (r == WriteOutcome.OUT_OF_MEMORY || r == WriteOutcome.REJECTED) {
            throw new IOException(
                    "cannot apply log record " + rec.offset() + ": " + r + " (is store.memory smaller than the data?)");
        }
        return r;
    }

    /** The single effects of a batch record; IOException when its payload does not parse. */
    static List<LogRecord> expand(LogRecord batch) throws IOException {
        try {
            return BatchCodec.expand(batch);
        } catch (RecordCodec.CorruptRecordException e) {
            throw new IOException("batch record " + batch.offset() + " does not parse: " + e.getMessage(), e);
        }
    }

    /** The record itself, or a batch record's single effects: what it does to each key. */
    static List<LogRecord> effectsOf(LogRecord rec) throws IOException {
        return rec.effect() == Effect.BATCH ? expand(rec) : List.of(rec);
    }

    /** Reads a snapshot file into the map (which the caller has cleared), checking its CRC. */
    static SnapshotHeader loadSnapshot(BucketedMap map, Path file) throws IOException {
        return SnapshotReader.readAll(file, new SnapshotReader.Sink() {
            @Override
            public void entry(byte[] key, byte[] value, long offset) throws IOException {
                entry(key, value, offset, 0);
            }

            @Override
            public void entry(byte[] key, byte[] value, long offset, long deadline) throws IOException {
                WriteOutcome r = map.put(key, value, offset, deadline);
                if (!r.changed()) {
                    throw new IOException(
                            "cannot load a snapshot entry: " + r + " (is store.memory smaller than the data?)");
                }
            }
        });
    }

    /** Applies the log records in (after, upTo] to the map. */
    static void replay(BucketedMap map, SegmentedLog segments, long after, long upTo) throws IOException {
        try {
            segments.replay(after, upTo, rec -> {
                try {
                    applyEffect(map, rec);
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            });
        } catch (UncheckedIOException e) {
            throw e.getCause();
        } catch (TailNotRetainedException e) {
            throw new IOException("the log does not hold the records after offset " + after, e);
        }
    }
}
