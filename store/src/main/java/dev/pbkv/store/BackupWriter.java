package dev.pbkv.store;

import dev.pbkv.store.log.SegmentedLog;
import dev.pbkv.store.snapshot.CompressedSnapshots;
import dev.pbkv.store.snapshot.SnapshotReader;
import dev.pbkv.store.snapshot.SnapshotWriter;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.LongFunction;

/**
 * Writes a backup: the store's contents at exactly one offset E, as an exact snapshot (offset =
 * end offset = E) in an LZ4 frame (docs/persistence.md, "Backups").
 *
 * <p>How it is exact: a fresh snapshot at S is taken as for a peer ({@link Store#snapshotForTransfer},
 * which pins the log after S); it is fuzzy, holding every record up to S and some in (S, E], E its
 * end offset. The log records (S, E] are read first and folded into each touched key's state at E;
 * the snapshot is then streamed, an entry whose key the tail touched replaced by that state, and
 * the tail's keys present at E are appended. A key the tail did not touch had one value
 * throughout (S, E], which the snapshot holds. Only the tail's keys are held in memory: the
 * writes made while the snapshot was being copied.
 *
 * <p>Threads and locks: the caller's thread; no store lock is held (the snapshot itself takes
 * the write lock only for its short steps), so writes go on while a backup is written.
 */
final class BackupWriter {
    /** A key's state at E as the tail left it. */
    private sealed interface KeyState {}

    private record Present(byte[] key, byte[] value, long offset, long deadline) implements KeyState {}

    private record Absent() implements KeyState {}

    /** Only an expire touched the key: its presence and value are the snapshot's, its deadline this. */
    private record DeadlineOnly(long deadline, long offset) implements KeyState {}

    private static final Absent ABSENT = new Absent();
    private static final int READ_BATCH = 4096;

    private BackupWriter() {}

    /**
     * Writes the backup to a temporary file in dir, then renames it to name(offset): the name may
     * depend on the offset the backup holds. A file of that name is never replaced.
     */
    static BackupInfo write(Store store, Path dir, LongFunction<String> name) throws IOException {
        Files.createDirectories(dir);
        Path tmp = Files.createTempFile(dir, ".backup-", ".tmp");
        try (SnapshotHandle snap = store.snapshotForTransfer()) {
            long end = snap.endOffset();
            Map<ByteBuffer, KeyState> tail = new HashMap<>();
            long endEpoch = foldTail(store, snap.offset(), end, tail, snap.epoch());
            long keys;
            try (OutputStream file = Files.newOutputStream(
                            tmp,
                            StandardOpenOption.CREATE,
                            StandardOpenOption.TRUNCATE_EXISTING,
                            StandardOpenOption.WRITE);
                    SnapshotWriter w = new SnapshotWriter(CompressedSnapshots.compressing(file), end, endEpoch);
                    InputStream in = snap.openStream();
                    SnapshotReader r = new SnapshotReader(in)) {
                r.readAll(new SnapshotReader.Sink() {
                    @Override
                    public void entry(byte[] key, byte[] value, long offset) throws IOException {
                        entry(key, value, offset, 0);
                    }

                    @Override
                    public void entry(byte[] key, byte[] value, long offset, long deadline) throws IOException {
                        KeyState s = tail.get(ByteBuffer.wrap(key));
                        if (s == null) {
                            w.entry(key, value, offset, deadline);
                        } else if (s instanceof DeadlineOnly d) {
                            w.entry(key, value, d.offset(), d.deadline());
                        } // Present: written below; Absent: gone at E
                    }
                });
                for (KeyState s : tail.values()) {
                    if (s instanceof Present p) {
                        w.entry(p.key(), p.value(), p.offset(), p.deadline());
                    }
                }
                keys = w.entryCount();
                w.finish(end); // exact: offset = end offset
            } // closing the writer ends the LZ4 frame (its checksum) and the file
            try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.WRITE)) {
                ch.force(true);
            }
            Path target = dir.resolve(name.apply(end));
            if (Files.exists(target)) {
                throw new FileAlreadyExistsException(target.toString(), null, "a backup of that name exists");
            }
            Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE);
            SegmentedLog.syncDirectory(dir);
            return new BackupInfo(target, end, endEpoch, keys, Files.size(target));
        } catch (IOException | RuntimeException e) {
            Files.deleteIfExists(tmp);
            throw e;
        }
    }

    /** Folds the records (after, end] into tail; returns the epoch of the record at end. */
    private static long foldTail(Store store, long after, long end, Map<ByteBuffer, KeyState> tail, long epoch)
            throws IOException {
        long at = after;
        while (at < end) {
            List<LogRecord> records;
            try {
                records = store.readLog(at, READ_BATCH);
            } catch (TailNotRetainedException e) {
                throw new IOException("the log no longer holds the records after offset " + at, e);
            }
            if (records.isEmpty()) {
                throw new IOException("the log ends at offset " + at + ", before the snapshot's end offset " + end);
            }
            for (LogRecord rec : records) {
                if (rec.offset() > end) {
                    return epoch;
                }
                for (LogRecord effect : MapLoader.effectsOf(rec)) {
                    fold(tail, effect, rec.offset());
                }
                at = rec.offset();
                epoch = rec.epoch();
            }
        }
        return epoch;
    }

    private static void fold(Map<ByteBuffer, KeyState> tail, LogRecord rec, long offset) {
        ByteBuffer k = ByteBuffer.wrap(rec.key());
        switch (rec.effect()) {
            case PUT -> tail.put(k, new Present(rec.key(), rec.value(), offset, rec.deadline()));
            case DELETE, EXPIRED -> tail.put(k, ABSENT);
            case EXPIRE ->
                tail.compute(k, (key, s) -> {
                    if (s instanceof Present p) {
                        return new Present(p.key(), p.value(), offset, rec.deadline());
                    }
                    // absent stays absent (an expire of an absent key changes nothing)
                    return s instanceof Absent ? s : new DeadlineOnly(rec.deadline(), offset);
                });
            case BATCH -> throw new IllegalStateException("a batch is expanded before it is folded");
        }
    }
}
