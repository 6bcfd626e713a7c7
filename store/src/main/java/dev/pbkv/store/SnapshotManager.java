package dev.pbkv.store;

import dev.pbkv.store.log.GroupCommitLog;
import dev.pbkv.store.log.SegmentedLog;
import dev.pbkv.store.map.BucketedMap;
import dev.pbkv.store.snapshot.MapCopier;
import dev.pbkv.store.snapshot.SnapshotFiles;
import dev.pbkv.store.snapshot.SnapshotFiles.SnapshotFile;
import dev.pbkv.store.snapshot.SnapshotHeader;
import dev.pbkv.store.snapshot.SnapshotReader;
import dev.pbkv.store.snapshot.SnapshotWriter;
import java.io.IOException;
import java.io.InputStream;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A store's snapshot files: writes them (fuzzy, see {@link #writeSnapshot}), keeps the newest and
 * drops the log they cover (retention), hands out transfer handles that pin a snapshot and the
 * log after it, and installs a peer's snapshot in place of the whole contents.
 *
 * <p>Threads and locks: snapshots are written on its own thread ({@code pbkv-snapshot-<dir>}), on
 * request or once snapshotLogBytes of log were written; an install runs on the caller's thread.
 * Both hold the maintenance lock throughout and the write lock for their short steps (see
 * {@link HistoryHead} for the order); retentionLock, taken last, guards pins and file deletion.
 */
final class SnapshotManager {
    private static final Logger LOG = LoggerFactory.getLogger(SnapshotManager.class);
    /** How many complete snapshots are kept (the newest, and one to fall back on if it is damaged). */
    private static final int KEPT_SNAPSHOTS = 2;

    private final StoreConfig config;
    private final Path dir;
    private final BucketedMap map;
    private final HistoryHead head;
    private final SegmentedLog segments;
    private final GroupCommitLog log;
    private final ExecutorService snapshotter;
    /**
     * Guards pinnedOffsets and the deletion of snapshot files and log segments, so a transfer
     * handle pins its snapshot and the log after it atomically with respect to cleanup. Taken
     * last: under the maintenance lock or the write lock, never the other way round.
     */
    private final Object retentionLock = new Object();
    /** retentionLock: offsets of snapshots held open for transfer, with how many handles hold each. */
    private final TreeMap<Long, Integer> pinnedOffsets = new TreeMap<>();
    /** Log bytes written since the last snapshot began; past snapshotLogBytes an automatic one starts. */
    private final AtomicLong bytesSinceSnapshot;
    /** Whether an automatic snapshot is queued or running (at most one at a time). */
    private final AtomicBoolean autoSnapshotPending = new AtomicBoolean();

    SnapshotManager(
            StoreConfig config,
            BucketedMap map,
            HistoryHead head,
            SegmentedLog segments,
            GroupCommitLog log,
            String threadName) {
        this.config = config;
        this.dir = config.dataDir();
        this.map = map;
        this.head = head;
        this.segments = segments;
        this.log = log;
        this.bytesSinceSnapshot = new AtomicLong(segments.totalBytes());
        this.snapshotter = Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, threadName);
            t.setDaemon(true);
            return t;
        });
    }

    /** Writes a snapshot now, in the background, and truncates the log it covers. Completes with its offset. */
    CompletableFuture<Long> snapshotNow() {
        CompletableFuture<Long> done = new CompletableFuture<>();
        try {
            snapshotter.execute(() -> {
                try {
                    done.complete(writeSnapshot());
                } catch (Throwable t) {
                    LOG.warn("snapshot of {} failed: {}", dir, t.toString());
                    done.completeExceptionally(t);
                }
            });
        } catch (RejectedExecutionException e) {
            done.completeExceptionally(new IOException("store " + dir + " is closed"));
        }
        return done;
    }

    /** Log thread: counts written bytes and queues an automatic snapshot past snapshotLogBytes. */
    void onBytesWritten(long bytes) {
        if (bytesSinceSnapshot.addAndGet(bytes) >= config.snapshotLogBytes()
                && autoSnapshotPending.compareAndSet(false, true)) {
            try {
                snapshotter.execute(() -> {
                    try {
                        if (!head.closed) {
                            writeSnapshot();
                        }
                    } catch (Throwable t) {
                        LOG.warn("automatic snapshot of {} failed: {}", dir, t.toString());
                    } finally {
                        autoSnapshotPending.set(false);
                    }
                });
            } catch (RejectedExecutionException e) {
                autoSnapshotPending.set(false);
            }
        }
    }

    /**
     * A snapshot of the current contents for a peer, streamed from a snapshot file (a fresh one
     * is written first). While the handle is open the log keeps every record after its offset
     * and the file stays. The snapshot is fuzzy (see docs/persistence.md): the receiver is exact
     * once it has applied the tail up to the snapshot's end offset.
     */
    SnapshotHandle snapshotForTransfer() throws IOException {
        try {
            snapshotNow().get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while writing a snapshot", e);
        } catch (ExecutionException e) {
            throw e.getCause() instanceof IOException io ? io : new IOException(e.getCause());
        }
        SnapshotFile newest;
        synchronized (retentionLock) {
            List<SnapshotFile> snaps = SnapshotFiles.list(dir);
            if (snaps.isEmpty()) {
                throw new IOException("no snapshot to transfer in " + dir);
            }
            newest = snaps.get(0);
            pinnedOffsets.merge(newest.offset(), 1, Integer::sum);
        }
        return new PinnedSnapshot(newest, SnapshotReader.peek(newest.path()), Files.size(newest.path()));
    }

    /** A transfer handle: its snapshot file and the log after its offset stay until it is closed. */
    private final class PinnedSnapshot implements SnapshotHandle {
        private final SnapshotFile file;
        private final SnapshotHeader header;
        private final long size;
        private final AtomicBoolean open = new AtomicBoolean(true);

        PinnedSnapshot(SnapshotFile file, SnapshotHeader header, long size) {
            this.file = file;
            this.header = header;
            this.size = size;
        }

        @Override
        public long offset() {
            return file.offset();
        }

        @Override
        public long endOffset() {
            return header.endOffset();
        }

        @Override
        public long epoch() {
            return header.epoch();
        }

        @Override
        public long sizeBytes() {
            return size;
        }

        @Override
        public InputStream openStream() throws IOException {
            return Files.newInputStream(file.path());
        }

        @Override
        public void close() {
            if (open.compareAndSet(true, false)) {
                synchronized (retentionLock) {
                    pinnedOffsets.computeIfPresent(file.offset(), (k, n) -> n == 1 ? null : n - 1);
                }
            }
        }
    }

    /**
     * Replaces the whole contents with a snapshot from a peer; the log restarts after its offset.
     * The stream is first copied to a file and checked (a broken stream changes nothing); the
     * install then commits by renaming that file to {@code install.snap}, and recovery finishes
     * an install it finds there, so a crash never mixes the old log with the new snapshot.
     * Caller's thread, under the maintenance lock, then the write lock.
     */
    void install(InputStream in) throws IOException {
        head.maintenanceLock.lock();
        try {
            Path install = dir.resolve(SnapshotFiles.INSTALL);
            Path tmp = SnapshotFiles.tempFor(install);
            long offset;
            long snapEpoch;
            try (SnapshotReader r = new SnapshotReader(in);
                    FileChannel ch = FileChannel.open(
                            tmp,
                            StandardOpenOption.CREATE,
                            StandardOpenOption.TRUNCATE_EXISTING,
                            StandardOpenOption.WRITE)) {
                offset = r.offset();
                snapEpoch = r.epoch();
                SnapshotWriter w = new SnapshotWriter(Channels.newOutputStream(ch), offset, snapEpoch);
                r.readAll(w.sink());
                w.finish(r.endOffset());
                ch.force(true);
            } catch (IOException | RuntimeException e) {
                Files.deleteIfExists(tmp);
                throw e;
            }
            head.writeLock.lock();
            try {
                if (head.closed) {
                    Files.deleteIfExists(tmp);
                    head.requireOpen(); // throws
                }
                log.drain();
                Files.move(tmp, install, StandardCopyOption.ATOMIC_MOVE);
                segments.syncDirectory(); // the commit point: recovery now finishes this install
                segments.startAt(offset, snapEpoch);
                synchronized (retentionLock) {
                    StoreRecovery.finishInstallFiles(dir, install, offset);
                }
                map.clear();
                head.fuzzyEnd = MapLoader.loadSnapshot(map, SnapshotFiles.pathFor(dir, offset))
                        .endOffset();
                head.lastOffset = offset;
                head.lastEpoch = snapEpoch;
                head.epoch = Math.max(head.epoch, snapEpoch);
                log.resetTo(offset);
                bytesSinceSnapshot.set(0);
                LOG.info(
                        "installed a peer's snapshot at offset {} (epoch {}), {} entries",
                        offset,
                        snapEpoch,
                        map.count());
            } finally {
                head.writeLock.unlock();
            }
        } finally {
            head.maintenanceLock.unlock();
        }
    }

    /**
     * The newest snapshot that holds nothing above offset and that the retained log continues (its
     * offset is at or above the log's base): the map at offset is that snapshot plus the log up to
     * offset. Null when there is none.
     */
    SnapshotFile newestHoldingNothingAbove(long offset) throws IOException {
        long base = segments.baseOffset();
        for (SnapshotFile s : SnapshotFiles.list(dir)) {
            if (s.offset() >= base
                    && s.offset() <= offset
                    && SnapshotReader.peek(s.path()).endOffset() <= offset) {
                return s;
            }
        }
        return null;
    }

    /** Deletes every snapshot that holds anything above offset (a cut-off tail must not come back). */
    void deleteHoldingAbove(long offset) throws IOException {
        synchronized (retentionLock) {
            for (SnapshotFile s : SnapshotFiles.list(dir)) {
                if (s.offset() > offset || SnapshotReader.peek(s.path()).endOffset() > offset) {
                    Files.deleteIfExists(s.path());
                }
            }
        }
    }

    /**
     * Snapshot thread. Fuzzy: S is taken under the write lock, then buckets are copied one by one
     * while writes go on, so the file holds every effect up to S and some above it. Before the file
     * counts (rename), the log is forced through the last offset the copy could have seen: every
     * effect in the snapshot is then in the durable log, and replaying the records above S
     * (idempotent puts and deletes, in order) gives exactly the state at the log's end.
     */
    private long writeSnapshot() throws IOException {
        head.maintenanceLock.lock();
        try {
            long offset;
            long snapEpoch;
            head.writeLock.lock();
            try {
                if (head.closed) {
                    throw new IOException("store " + dir + " is closed");
                }
                offset = head.lastOffset;
                snapEpoch = head.lastEpoch;
            } finally {
                head.writeLock.unlock();
            }
            bytesSinceSnapshot.set(0);
            Path target = SnapshotFiles.pathFor(dir, offset);
            if (!Files.exists(target)) {
                Path tmp = SnapshotFiles.tempFor(target);
                try (FileChannel ch = FileChannel.open(
                        tmp,
                        StandardOpenOption.CREATE,
                        StandardOpenOption.TRUNCATE_EXISTING,
                        StandardOpenOption.WRITE)) {
                    SnapshotWriter w = new SnapshotWriter(Channels.newOutputStream(ch), offset, snapEpoch);
                    MapCopier.copy(map, w);
                    long end;
                    head.writeLock.lock(); // every map change the copy saw has its offset assigned by now
                    try {
                        end = head.lastOffset;
                    } finally {
                        head.writeLock.unlock();
                    }
                    log.forceThrough(end);
                    w.finish(Math.max(end, head.fuzzyEnd));
                    ch.force(true);
                } catch (IOException | RuntimeException e) {
                    Files.deleteIfExists(tmp);
                    throw e;
                }
                Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE);
                segments.syncDirectory();
            }
            applyRetention(offset);
            return offset;
        } finally {
            head.maintenanceLock.unlock();
        }
    }

    /** Keeps the newest snapshots (and pinned ones) and drops log segments the newest covers. */
    private void applyRetention(long newest) throws IOException {
        synchronized (retentionLock) {
            List<SnapshotFile> snaps = SnapshotFiles.list(dir);
            for (int i = KEPT_SNAPSHOTS; i < snaps.size(); i++) {
                if (!pinnedOffsets.containsKey(snaps.get(i).offset())) {
                    Files.deleteIfExists(snaps.get(i).path());
                }
            }
            long cut = pinnedOffsets.isEmpty() ? newest : Math.min(newest, pinnedOffsets.firstKey());
            long removed = segments.dropCovered(cut, config.retainedLogBytes());
            if (removed > 0) {
                LOG.info(
                        "dropped {} bytes of log covered by the snapshot at offset {}; the log now starts after {}",
                        removed,
                        newest,
                        segments.baseOffset());
            }
        }
    }

    /**
     * Stops the snapshot thread; a snapshot in progress finishes first. Returns whether the
     * caller was interrupted meanwhile: it restores the flag once it has finished closing.
     */
    boolean shutDown() {
        snapshotter.shutdown();
        boolean interrupted = false;
        while (true) {
            try {
                if (snapshotter.awaitTermination(1, TimeUnit.MINUTES)) {
                    break;
                }
                LOG.info("waiting for a snapshot of {} to finish before closing", dir);
            } catch (InterruptedException e) {
                interrupted = true;
            }
        }
        return interrupted;
    }
}
