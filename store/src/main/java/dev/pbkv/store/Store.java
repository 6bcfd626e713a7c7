package dev.pbkv.store;

import dev.pbkv.store.log.GroupCommitLog;
import dev.pbkv.store.log.SegmentChannelFactory;
import dev.pbkv.store.log.SegmentedLog;
import dev.pbkv.store.map.BucketedMap;
import dev.pbkv.store.snapshot.MapCopier;
import dev.pbkv.store.snapshot.SnapshotFiles;
import dev.pbkv.store.snapshot.SnapshotFiles.SnapshotFile;
import dev.pbkv.store.snapshot.SnapshotReader;
import dev.pbkv.store.snapshot.SnapshotWriter;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Consumer;

/**
 * The durable store: the in-memory map, the append-only log and snapshots, in one data directory.
 * See docs/persistence.md for the file formats, recovery and what is forced when.
 *
 * <p>Writes are totally ordered: {@link #apply} and {@link #applyReplicated} run under one write
 * lock that covers the map change, the offset assignment and the log append, so the log's order
 * is the order in which the map changed (per-key order on the backup equals the primary's).
 *
 * <p>Threads: one log thread per store ({@code pbkv-log-<dir>}) writes and forces the log (group
 * commit); one snapshot thread ({@code pbkv-snapshot-<dir>}) writes snapshots. Both stop in
 * {@link #close}.
 */
public final class Store implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(Store.class);
    private static final byte[] EMPTY = new byte[0];
    /** How many complete snapshots are kept (the newest, and one to fall back on if it is damaged). */
    private static final int KEPT_SNAPSHOTS = 2;

    private final StoreConfig config;
    private final Path dir;
    private final BucketedMap map;
    private final SegmentChannelFactory channels;

    /**
     * The write lock. Its holder changes the map, takes the next offset and queues the record on
     * the log, in that order and without letting go: so offsets are contiguous and the log's
     * order is the order the map changed. Guards lastOffset, lastEpoch and epoch writes.
     */
    private final ReentrantLock writeLock = new ReentrantLock();
    /**
     * Held for the whole of a snapshot write, {@link #truncateAfter} and {@link #installSnapshot}:
     * each changes the snapshot files and the log's base and they must not interleave (a snapshot
     * of a map being rebuilt would be wrong). Always taken before writeLock, never while holding it.
     */
    private final ReentrantLock maintenanceLock = new ReentrantLock();
    /**
     * Guards pinnedOffsets and the deletion of snapshot files and log segments, so a transfer
     * handle pins its snapshot and the log after it atomically with respect to cleanup.
     */
    private final Object retentionLock = new Object();
    /** retentionLock: offsets of snapshots held open for transfer, with how many handles hold each. */
    private final TreeMap<Long, Integer> pinnedOffsets = new TreeMap<>();

    // Set once in open() before the store is handed out (safely published by the return).
    private SegmentedLog segments;
    private GroupCommitLog log;
    private ExecutorService snapshotter;

    /** Offset of the newest record applied (written under writeLock, read freely). */
    private volatile long lastOffset;
    /** Epoch of the record at lastOffset (under writeLock). */
    private volatile long lastEpoch;
    /** The node's epoch: stamped on new records, raised durably by raiseEpoch (under writeLock). */
    private volatile long epoch;
    /** Called under writeLock with each record, in offset order. */
    private volatile Consumer<LogRecord> appendListener = r -> { };
    /** Set under writeLock by close; writes after it fail. */
    private volatile boolean closed;
    /**
     * The highest offset whose effect the map may hold beyond lastOffset: the end offset of a
     * fuzzy snapshot loaded at recovery or install (the map is exact once lastOffset reaches it).
     * A snapshot written later carries it on as its own end offset. Under writeLock/maintenanceLock.
     */
    private volatile long fuzzyEnd;
    /** Log bytes written since the last snapshot began; past snapshotLogBytes an automatic one starts. */
    private final AtomicLong bytesSinceSnapshot = new AtomicLong();
    /** Whether an automatic snapshot is queued or running (at most one at a time). */
    private final AtomicBoolean autoSnapshotPending = new AtomicBoolean();

    private Store(StoreConfig config, SegmentChannelFactory channels) {
        this.config = config;
        this.dir = config.dataDir();
        this.channels = channels;
        this.map = new BucketedMap(config.map());
    }

    /** Opens the store in its data directory, recovering the newest valid snapshot and the log tail. */
    public static Store open(StoreConfig config) throws IOException {
        return open(config, SegmentChannelFactory.FILES);
    }

    /**
     * As {@link #open(StoreConfig)}, creating new log segments through channels (tests use this
     * to put a segment on a full device).
     */
    public static Store open(StoreConfig config, SegmentChannelFactory channels) throws IOException {
        Files.createDirectories(config.dataDir());
        Store store = new Store(config, channels);
        try {
            store.recover();
        } catch (IOException | RuntimeException e) {
            if (store.segments != null) {
                store.segments.close();
            }
            store.map.close();
            throw e;
        }
        String name = config.dataDir().getFileName() == null ? "store" : config.dataDir().getFileName().toString();
        // The snapshotter exists before the log thread starts: the log thread may queue a snapshot.
        store.snapshotter = Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "pbkv-snapshot-" + name);
            t.setDaemon(true);
            return t;
        });
        store.log = new GroupCommitLog(store.segments, config.fsync(), store.lastOffset, "pbkv-log-" + name,
                store::onBytesWritten, store::undoUnlogged);
        return store;
    }

    /** Log segments roll at a quarter of the smaller of the snapshot and retention sizes, within 4 KiB..64 MiB. */
    static long segmentBytes(StoreConfig c) {
        long basis = c.retainedLogBytes() > 0 ? Math.min(c.snapshotLogBytes(), c.retainedLogBytes()) : c.snapshotLogBytes();
        return Math.max(4096, Math.min(64L << 20, basis / 4));
    }

    // ---------------------------------------------------------------- recovery

    private void recover() throws IOException {
        SnapshotFiles.deleteTemporaries(dir);
        long storedEpoch = EpochFile.read(dir);
        Path install = dir.resolve(SnapshotFiles.INSTALL);
        if (Files.exists(install)) {
            long[] head = SnapshotReader.peek(install);
            LOG.info("finishing the install of a peer's snapshot at offset {} interrupted by a crash", head[0]);
            deleteFiles("log-*.seg");
            finishInstallFiles(install, head[0]);
        }
        segments = SegmentedLog.open(dir, segmentBytes(config), channels);
        long base = segments.isEmpty() ? 0 : segments.baseOffset();
        long logLast = segments.lastOffset();
        long snapOffset = 0;
        long snapEpoch = 0;
        boolean loaded = false;
        for (SnapshotFile snap : SnapshotFiles.list(dir)) {
            if (!segments.isEmpty() && snap.offset() < base) {
                LOG.warn("snapshot {} is older than the log's start (offset {}); it cannot be used", snap.path(), base);
                continue;
            }
            try (SnapshotReader r = new SnapshotReader(Files.newInputStream(snap.path()))) {
                map.clear();
                r.readAll(this::loadEntry);
                snapOffset = r.offset();
                snapEpoch = r.epoch();
                fuzzyEnd = r.endOffset();
                loaded = true;
                break;
            } catch (IOException e) {
                map.clear();
                LOG.warn("snapshot {} is unusable ({}); trying an older one", snap.path(), e.getMessage());
            }
        }
        if (!loaded && base > 0) {
            throw new IOException("cannot recover " + dir + ": no usable snapshot and the log starts after offset " + base);
        }
        if (segments.isEmpty() || snapOffset > logLast) {
            if (!segments.isEmpty()) {
                LOG.warn("snapshot at offset {} is newer than the log's end ({}); the log restarts at the snapshot",
                        snapOffset, logLast);
            }
            segments.startAt(snapOffset, snapEpoch);
        } else {
            replay(snapOffset, logLast);
        }
        lastOffset = segments.lastOffset();
        lastEpoch = segments.lastEpoch();
        epoch = Math.max(Math.max(storedEpoch, lastEpoch), Math.max(snapEpoch, segments.baseEpoch()));
        bytesSinceSnapshot.set(segments.totalBytes());
        LOG.info("store {} recovered: snapshot at offset {}, log offsets {}..{}, {} entries, epoch {}",
                dir, loaded ? snapOffset : "none", segments.baseOffset() + 1, lastOffset, map.count(), epoch);
    }

    private void loadEntry(byte[] key, byte[] value, long offset) throws IOException {
        StoreResult r = map.put(key, value, offset);
        if (r != StoreResult.HT_INSERT_OK && r != StoreResult.HT_FOUND) {
            throw new IOException("cannot load a snapshot entry: " + r + " (is store.memory smaller than the data?)");
        }
    }

    /** Applies the log records in (after, upTo] to the map. */
    private void replay(long after, long upTo) throws IOException {
        try {
            segments.replay(after, upTo, rec -> {
                StoreResult r = rec.effect() == Effect.PUT
                        ? map.put(rec.key(), rec.value(), rec.offset())
                        : map.delete(rec.key(), rec.offset());
                if (r == StoreResult.HT_OUT_OF_MEMORY || r == StoreResult.HT_INVALID_ARGUMENT) {
                    throw new UncheckedIOException(new IOException("cannot replay log record " + rec.offset() + ": " + r
                            + " (is store.memory smaller than the data?)"));
                }
            });
        } catch (UncheckedIOException e) {
            throw e.getCause();
        } catch (TailNotRetainedException e) {
            throw new IOException("the log does not hold the records after offset " + after, e);
        }
    }

    private void deleteFiles(String glob) throws IOException {
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir, glob)) {
            for (Path p : ds) {
                Files.deleteIfExists(p);
            }
        }
    }

    /** Last steps of an install, safe to repeat: drop old snapshots, rename install.snap into place. */
    private void finishInstallFiles(Path install, long offset) throws IOException {
        deleteFiles("snapshot-*.snap");
        Files.move(install, SnapshotFiles.pathFor(dir, offset), StandardCopyOption.ATOMIC_MOVE);
        SegmentedLog.syncDirectory(dir);
    }

    // ---------------------------------------------------------------- writes

    /** The in-memory map, for reads. Writers go through {@link #apply} or {@link #applyReplicated}. */
    public BucketedMap map() {
        return map;
    }

    public StoreConfig config() {
        return config;
    }

    /**
     * Applies a client's write (primary side): changes the map and appends the effect to the log
     * with the next offset and the current epoch. Returns once the record is queued for disk, not
     * once it is durable: see {@link #whenDurable}. An I/O failure of the log (full disk) throws
     * {@link UncheckedIOException} and leaves the map unchanged.
     *
     * <p>The log is written on its own thread, so a failure is seen by the writes queued when it
     * happens through their {@link #whenDurable} futures, which fail; the log thread undoes those
     * writes in the map (each key back to its value at the last offset the files hold) before
     * failing the futures, and lastOffset goes back to that offset. Every later call here throws
     * before it touches the map. Throws {@link IllegalStateException} once the store is closed.
     */
    public WriteResult apply(Mutation m) {
        writeLock.lock();
        try {
            checkWritable();
            long next = lastOffset + 1;
            StoreResult r = switch (m.op()) {
                case INSERT -> map.insert(m.key(), m.value(), next);
                case UPDATE -> map.update(m.key(), m.value(), next);
                case PUT -> map.put(m.key(), m.value(), next);
                case DELETE -> map.delete(m.key(), next);
            };
            boolean changed = r == StoreResult.HT_INSERT_OK || r == StoreResult.HT_DELETE_OK
                    || (r == StoreResult.HT_FOUND && m.op() != Op.DELETE);
            if (!changed) {
                return new WriteResult(r, null);
            }
            boolean delete = m.op() == Op.DELETE;
            LogRecord rec = new LogRecord(next, epoch, delete ? Effect.DELETE : Effect.PUT,
                    m.key(), delete ? EMPTY : m.value(), m.clientId(), m.sequence());
            // Still under writeLock: queue position == offset order == map change order.
            log.enqueue(rec);
            lastEpoch = rec.epoch();
            lastOffset = next;
            appendListener.accept(rec);
            return new WriteResult(r, rec);
        } finally {
            writeLock.unlock();
        }
    }

    private void checkWritable() {
        if (closed) {
            throw new IllegalStateException("store " + dir + " is closed");
        }
        IOException failure = log.failure();
        if (failure != null) {
            throw new UncheckedIOException("the log cannot be written: " + failure.getMessage(), failure);
        }
    }

    /**
     * Applies a record received from the primary (backup side). The record's offset must be
     * {@link #lastOffset()} + 1; a record at or below lastOffset is ignored (a resend). Throws
     * IOException on a gap, when the log has failed, or when the map cannot hold the record
     * (out of memory): the map is then unchanged and lastOffset stays.
     */
    public void applyReplicated(LogRecord rec) throws IOException {
        writeLock.lock();
        try {
            if (closed) {
                throw new IllegalStateException("store " + dir + " is closed");
            }
            if (log.failure() != null) {
                throw new IOException("the log cannot be written: " + log.failure().getMessage(), log.failure());
            }
            if (rec.offset() <= lastOffset) {
                return;
            }
            if (rec.offset() != lastOffset + 1) {
                throw new IOException("gap in replicated log: have " + lastOffset + ", got " + rec.offset());
            }
            StoreResult r = rec.effect() == Effect.PUT
                    ? map.put(rec.key(), rec.value(), rec.offset())
                    : map.delete(rec.key(), rec.offset());
            if (r == StoreResult.HT_OUT_OF_MEMORY || r == StoreResult.HT_INVALID_ARGUMENT) {
                throw new IOException("cannot apply replicated record " + rec.offset() + ": " + r);
            }
            // Still under writeLock: same ordering invariant as apply.
            log.enqueue(rec);
            lastEpoch = rec.epoch();
            lastOffset = rec.offset();
            epoch = Math.max(epoch, rec.epoch());
            appendListener.accept(rec);
        } finally {
            writeLock.unlock();
        }
    }

    /** Called under the write lock with every record appended, in offset order. Keep it short. */
    public void setAppendListener(Consumer<LogRecord> listener) {
        this.appendListener = listener;
    }

    /**
     * Completes once every record up to offset is on disk as the fsync policy promises: forced
     * (ALWAYS) or written to the operating system (EVERYSEC, NO). Fails with the log's
     * IOException when it cannot be written (full disk). Completes on the log thread: callbacks
     * chained without an executor must be short.
     */
    public CompletableFuture<Void> whenDurable(long offset) {
        if (closed && offset > log.durableOffset()) {
            return CompletableFuture.failedFuture(new IOException("store " + dir + " is closed"));
        }
        return log.whenDurable(offset);
    }

    public long lastOffset() {
        return lastOffset;
    }

    /**
     * The map equals the history's state at {@link #lastOffset()} once lastOffset is at least
     * this: after loading a fuzzy snapshot (recovery, or a peer's snapshot installed) the map may
     * already hold effects of records up to this offset. A backup is exact, and fit to serve or be
     * promoted, only from then on; 0 when nothing fuzzy was loaded.
     */
    public long consistentFromOffset() {
        return fuzzyEnd;
    }

    /** Every record up to this offset is durable as the fsync policy promises (see {@link #whenDurable}). */
    public long durableOffset() {
        return log.durableOffset();
    }

    /** The current epoch, stamped on records written by {@link #apply}. */
    public long epoch() {
        return epoch;
    }

    /** Raises the epoch durably (promotion): the epoch file is forced before this returns. Never lowers it. */
    public void raiseEpoch(long newEpoch) throws IOException {
        writeLock.lock();
        try {
            if (newEpoch > epoch) {
                EpochFile.write(dir, newEpoch);
                epoch = newEpoch;
            }
        } finally {
            writeLock.unlock();
        }
    }

    // ---------------------------------------------------------------- log reads (replication)

    /** The log holds every record with an offset above this one. */
    public long logBaseOffset() {
        return segments.baseOffset();
    }

    /** Bytes of log kept on disk. */
    public long logBytes() {
        return segments.totalBytes();
    }

    /** How many times the log has been forced (group commit makes this far smaller than the record count). */
    public long logForceCount() {
        return log.forceCount();
    }

    /** The I/O error that stopped the log, if any (then every write fails). */
    public Optional<IOException> logFailure() {
        return Optional.ofNullable(log.failure());
    }

    /**
     * Up to max records with offsets above afterOffset, in order, read from the retained log on
     * disk (records still queued are written first). Throws {@link TailNotRetainedException}
     * when afterOffset is below {@link #logBaseOffset()}.
     */
    public List<LogRecord> readLog(long afterOffset, int max) throws TailNotRetainedException, IOException {
        long base = segments.baseOffset();
        if (afterOffset < base) {
            throw new TailNotRetainedException(afterOffset, base);
        }
        long last = lastOffset;
        if (afterOffset >= last || max <= 0) {
            return List.of();
        }
        log.awaitWritten(Math.min(last, afterOffset + max));
        return segments.read(afterOffset, max);
    }

    /** The epoch of the record at offset (0 for offset 0); used to find where two histories part. */
    public long epochAt(long offset) throws TailNotRetainedException, IOException {
        if (offset == 0) {
            return 0;
        }
        if (offset > lastOffset) {
            throw new IllegalArgumentException("offset " + offset + " is beyond the last offset " + lastOffset);
        }
        long base = segments.baseOffset();
        if (offset < base) {
            throw new TailNotRetainedException(offset - 1, base);
        }
        if (offset == base) {
            return segments.baseEpoch();
        }
        List<LogRecord> one = readLog(offset - 1, 1);
        if (one.isEmpty() || one.get(0).offset() != offset) {
            throw new IOException("log does not hold offset " + offset);
        }
        return one.get(0).epoch();
    }

    // ---------------------------------------------------------------- divergent tail

    /**
     * Discards every record above offset and rebuilds the map without them: the divergent tail
     * of an old primary. Returns the number of records dropped. The map cannot undo an effect,
     * so it is rebuilt from the newest snapshot that holds nothing above offset plus the log up
     * to offset; snapshots above offset are deleted first so a crash cannot bring the tail back.
     * Throws IOException when no such snapshot or log remains (the caller then needs a full
     * snapshot from its peer).
     */
    public long truncateAfter(long offset) throws IOException {
        if (offset < 0) {
            throw new IllegalArgumentException("offset must not be negative: " + offset);
        }
        maintenanceLock.lock();
        try {
            writeLock.lock();
            try {
                if (closed) {
                    throw new IllegalStateException("store " + dir + " is closed");
                }
                if (offset >= lastOffset) {
                    return 0;
                }
                log.drain();
                long base = segments.baseOffset();
                SnapshotFile from = null;
                List<SnapshotFile> snaps = SnapshotFiles.list(dir);
                for (SnapshotFile s : snaps) {
                    if (s.offset() <= offset && s.offset() >= base && SnapshotReader.peek(s.path())[2] <= offset) {
                        from = s;
                        break;
                    }
                }
                if (from == null && base > 0) {
                    throw new IOException("cannot cut the log back to offset " + offset + ": the log starts after " + base
                            + " and no snapshot at or below it remains");
                }
                if (from != null) {
                    // Read it through (CRC) before anything is cut: a damaged file must fail here, not halfway.
                    try (SnapshotReader r = new SnapshotReader(Files.newInputStream(from.path()))) {
                        r.readAll((k, v, o) -> { });
                    }
                }
                long dropped = lastOffset - offset;
                synchronized (retentionLock) {
                    for (SnapshotFile s : snaps) {
                        if (s.offset() > offset || SnapshotReader.peek(s.path())[2] > offset) {
                            Files.deleteIfExists(s.path());
                        }
                    }
                }
                segments.syncDirectory();
                segments.truncateAfter(offset);
                map.clear();
                long replayFrom = 0;
                fuzzyEnd = 0;
                if (from != null) {
                    try (SnapshotReader r = new SnapshotReader(Files.newInputStream(from.path()))) {
                        r.readAll(this::loadEntry);
                        fuzzyEnd = r.endOffset();
                    }
                    replayFrom = from.offset();
                }
                replay(replayFrom, offset);
                lastOffset = offset;
                lastEpoch = segments.lastEpoch();
                log.resetTo(offset);
                LOG.info("discarded {} log records above offset {} (a divergent tail)", dropped, offset);
                return dropped;
            } finally {
                writeLock.unlock();
            }
        } finally {
            maintenanceLock.unlock();
        }
    }

    // ---------------------------------------------------------------- snapshots

    /**
     * A snapshot of the current contents for a peer, streamed from a snapshot file (a fresh one
     * is written first). While the handle is open the log keeps every record after its offset
     * and the file stays. The snapshot is fuzzy (see docs/persistence.md): the receiver is exact
     * once it has applied the tail up to the snapshot's end offset.
     */
    public SnapshotHandle snapshotForTransfer() throws IOException {
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
        long[] head = SnapshotReader.peek(newest.path());
        long size = Files.size(newest.path());
        AtomicBoolean open = new AtomicBoolean(true);
        return new SnapshotHandle() {
            @Override
            public long offset() {
                return newest.offset();
            }

            @Override
            public long epoch() {
                return head[1];
            }

            @Override
            public long sizeBytes() {
                return size;
            }

            @Override
            public InputStream openStream() throws IOException {
                return Files.newInputStream(newest.path());
            }

            @Override
            public void close() {
                if (open.compareAndSet(true, false)) {
                    synchronized (retentionLock) {
                        pinnedOffsets.computeIfPresent(newest.offset(), (k, n) -> n == 1 ? null : n - 1);
                    }
                }
            }
        };
    }

    /**
     * Replaces the whole contents with a snapshot from a peer; the log restarts after its offset.
     * The stream is first copied to a file and checked (a broken stream changes nothing); the
     * install then commits by renaming that file to {@code install.snap}, and recovery finishes
     * an install it finds there, so a crash never mixes the old log with the new snapshot.
     */
    public void installSnapshot(InputStream in) throws IOException {
        maintenanceLock.lock();
        try {
            Path install = dir.resolve(SnapshotFiles.INSTALL);
            Path tmp = SnapshotFiles.tempFor(install);
            long offset;
            long snapEpoch;
            try (SnapshotReader r = new SnapshotReader(in);
                 FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE, StandardOpenOption.TRUNCATE_EXISTING,
                         StandardOpenOption.WRITE)) {
                offset = r.offset();
                snapEpoch = r.epoch();
                SnapshotWriter w = new SnapshotWriter(Channels.newOutputStream(ch), offset, snapEpoch);
                r.readAll(w::entry);
                w.finish(r.endOffset());
                ch.force(true);
            } catch (IOException | RuntimeException e) {
                Files.deleteIfExists(tmp);
                throw e;
            }
            writeLock.lock();
            try {
                if (closed) {
                    Files.deleteIfExists(tmp);
                    throw new IllegalStateException("store " + dir + " is closed");
                }
                log.drain();
                Files.move(tmp, install, StandardCopyOption.ATOMIC_MOVE);
                segments.syncDirectory(); // the commit point: recovery now finishes this install
                segments.startAt(offset, snapEpoch);
                synchronized (retentionLock) {
                    finishInstallFiles(install, offset);
                }
                map.clear();
                try (SnapshotReader r = new SnapshotReader(Files.newInputStream(SnapshotFiles.pathFor(dir, offset)))) {
                    r.readAll(this::loadEntry);
                    fuzzyEnd = r.endOffset();
                }
                lastOffset = offset;
                lastEpoch = snapEpoch;
                epoch = Math.max(epoch, snapEpoch);
                log.resetTo(offset);
                bytesSinceSnapshot.set(0);
                LOG.info("installed a peer's snapshot at offset {} (epoch {}), {} entries", offset, snapEpoch, map.count());
            } finally {
                writeLock.unlock();
            }
        } finally {
            maintenanceLock.unlock();
        }
    }

    /**
     * Writes a snapshot now, in the background, and truncates the log it covers. Completes with
     * the snapshot's offset.
     */
    public CompletableFuture<Long> snapshotNow() {
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

    /**
     * Log thread, after a write failure: puts back, in the map, every key changed by a record
     * the files never received (offsets above held), as it was at offset held. The map cannot
     * undo an effect, so each key's value at held is looked up: its last record in the
     * retained log up to held, else the newest usable snapshot, else absent. Runs under the
     * write lock, so no write interleaves; the failed futures complete only after it.
     */
    private void undoUnlogged(long held) {
        writeLock.lock();
        try {
            if (lastOffset <= held) {
                return;
            }
            List<LogRecord> lost = log.unloggedAfter(held);
            Map<ByteBuffer, LogRecord> lastRecord = new HashMap<>();
            for (LogRecord rec : lost) {
                lastRecord.put(ByteBuffer.wrap(rec.key()), null);
            }
            long base = segments.baseOffset();
            segments.replay(base, held, rec -> {
                ByteBuffer k = ByteBuffer.wrap(rec.key());
                if (lastRecord.containsKey(k)) {
                    lastRecord.put(k, rec);
                }
            });
            Map<ByteBuffer, byte[][]> fromSnapshot = new HashMap<>();
            if (lastRecord.containsValue(null) && base > 0) {
                SnapshotFile snap = null;
                for (SnapshotFile f : SnapshotFiles.list(dir)) {
                    if (f.offset() >= base && f.offset() <= held && SnapshotReader.peek(f.path())[2] <= held) {
                        snap = f;
                        break;
                    }
                }
                if (snap == null) {
                    throw new IOException("no snapshot to look the keys up in");
                }
                try (SnapshotReader r = new SnapshotReader(Files.newInputStream(snap.path()))) {
                    r.readAll((k, v, o) -> {
                        ByteBuffer key = ByteBuffer.wrap(k);
                        if (lastRecord.containsKey(key) && lastRecord.get(key) == null) {
                            fromSnapshot.put(key, new byte[][] {v, longBytes(o)});
                        }
                    });
                }
            }
            for (Map.Entry<ByteBuffer, LogRecord> e : lastRecord.entrySet()) {
                byte[] key = e.getKey().array();
                LogRecord rec = e.getValue();
                byte[][] snapped = fromSnapshot.get(e.getKey());
                if (rec != null && rec.effect() == Effect.PUT) {
                    map.put(key, rec.value(), rec.offset());
                } else if (rec == null && snapped != null) {
                    map.put(key, snapped[0], ByteBuffer.wrap(snapped[1]).getLong());
                } else {
                    map.delete(key, held);
                }
            }
            lastOffset = held;
            lastEpoch = segments.lastEpoch();
            LOG.error("the log of {} cannot be written ({}); the {} writes above offset {} were undone in the map "
                    + "and the store refuses writes until it is reopened", dir, log.failure(), lost.size(), held);
        } catch (IOException | TailNotRetainedException | RuntimeException e) {
            LOG.error("the log of {} cannot be written ({}) and the writes above offset {} could not be undone in "
                    + "the map ({}); they are not durable and their futures fail", dir, log.failure(), held, e.toString());
        } finally {
            writeLock.unlock();
        }
    }

    private static byte[] longBytes(long v) {
        return ByteBuffer.allocate(8).putLong(v).array();
    }

    /** Log thread: counts written bytes and queues an automatic snapshot past snapshotLogBytes. */
    private void onBytesWritten(long bytes) {
        if (bytesSinceSnapshot.addAndGet(bytes) >= config.snapshotLogBytes()
                && autoSnapshotPending.compareAndSet(false, true)) {
            try {
                snapshotter.execute(() -> {
                    try {
                        if (!closed) {
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
     * Snapshot thread. Fuzzy: S is taken under the write lock, then buckets are copied one by one
     * while writes go on, so the file holds every effect up to S and some above it. Before the file
     * counts (rename), the log is forced through the last offset the copy could have seen: every
     * effect in the snapshot is then in the durable log, and replaying the records above S
     * (idempotent puts and deletes, in order) gives exactly the state at the log's end.
     */
    private long writeSnapshot() throws IOException {
        maintenanceLock.lock();
        try {
            long offset;
            long snapEpoch;
            writeLock.lock();
            try {
                if (closed) {
                    throw new IOException("store " + dir + " is closed");
                }
                offset = lastOffset;
                snapEpoch = lastEpoch;
            } finally {
                writeLock.unlock();
            }
            bytesSinceSnapshot.set(0);
            Path target = SnapshotFiles.pathFor(dir, offset);
            if (!Files.exists(target)) {
                Path tmp = SnapshotFiles.tempFor(target);
                try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE,
                        StandardOpenOption.TRUNCATE_EXISTING, StandardOpenOption.WRITE)) {
                    SnapshotWriter w = new SnapshotWriter(Channels.newOutputStream(ch), offset, snapEpoch);
                    MapCopier.copy(map, w);
                    long end;
                    writeLock.lock(); // every map change the copy saw has its offset assigned by now
                    try {
                        end = lastOffset;
                    } finally {
                        writeLock.unlock();
                    }
                    log.forceThrough(end);
                    w.finish(Math.max(end, fuzzyEnd));
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
            maintenanceLock.unlock();
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
                LOG.info("dropped {} bytes of log covered by the snapshot at offset {}; the log now starts after {}",
                        removed, newest, segments.baseOffset());
            }
        }
    }

    /**
     * Flushes and forces the log, stops background work and releases the arena. A snapshot in
     * progress finishes first. A log failure already reported to writers is not thrown again.
     */
    @Override
    public void close() throws IOException {
        writeLock.lock();
        try {
            if (closed) {
                return;
            }
            closed = true;
        } finally {
            writeLock.unlock();
        }
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
        log.close();
        try {
            segments.close();
        } finally {
            map.close();
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
        if (log.failure() != null) {
            LOG.warn("store {} closed after a log failure: {}", dir, log.failure().toString());
        }
    }
}
