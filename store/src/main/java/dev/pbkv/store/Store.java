package dev.pbkv.store;

import dev.pbkv.store.log.BatchCodec;
import dev.pbkv.store.log.GroupCommitLog;
import dev.pbkv.store.log.SegmentChannelFactory;
import dev.pbkv.store.log.SegmentedLog;
import dev.pbkv.store.map.BucketedMap;
import dev.pbkv.store.map.EntryVisitor;
import dev.pbkv.store.map.Lookup;
import dev.pbkv.store.map.MemoryStats;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.locks.StampedLock;
import java.util.function.Consumer;
import java.util.function.LongSupplier;
import java.util.function.Supplier;
import java.util.random.RandomGenerator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The durable store: the in-memory map, the append-only log and snapshots, in one data directory.
 * See docs/persistence.md for the file formats, recovery and what is forced when.
 *
 * <p>A façade over the write path and the reads. Recovery ({@link StoreRecovery}), snapshots
 * ({@link SnapshotManager}), the cut of a divergent tail ({@link TailTruncation}), the undo of
 * writes the log could not take ({@link UnloggedWriteRollback}) and log reads
 * ({@link RetainedLogReader}) have their own classes. The map is not handed out.
 *
 * <p>Writes are totally ordered: {@link #apply} and {@link #applyReplicated} run under one write
 * lock ({@link HistoryHead}, with the lock order) that covers the map change, the offset
 * assignment and the log append, so the log's order is the order in which the map changed
 * (per-key order on the backup equals the primary's).
 *
 * <p>Threads: one log thread per store ({@code pbkv-log-<dir>}) writes and forces the log (group
 * commit); one snapshot thread ({@code pbkv-snapshot-<dir>}) writes snapshots. Both stop in
 * {@link #close}.
 */
public final class Store implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(Store.class);
    private static final byte[] EMPTY = new byte[0];

    private final StoreConfig config;
    private final Path dir;
    private final BucketedMap map;
    private final HistoryHead head;
    private final SegmentedLog segments;
    private final GroupCommitLog log;
    private final SnapshotManager snapshots;
    private final TailTruncation truncation;
    private final UnloggedWriteRollback rollback;
    private final RetainedLogReader retainedLog;
    /** Epoch milliseconds: which entries are expired (see {@link #setClock}). */
    private volatile LongSupplier clock = System::currentTimeMillis;
    /**
     * The batch fence. Its write side is held while a batch's effects change the map (always
     * inside writeLock); {@link #readAtomically} reads under its read side, optimistically first.
     * Invariant: a read that validates against it saw every batch whole or not at all. Single-key
     * writes do not take it (a read of one key sees one write or the other either way).
     */
    private final StampedLock batchFence = new StampedLock();
    /** Called under the write lock with each record, in offset order. */
    private volatile Consumer<LogRecord> appendListener = r -> {};

    private Store(StoreConfig config, BucketedMap map, StoreRecovery.Recovered recovered) {
        this.config = config;
        this.dir = config.dataDir();
        this.map = map;
        this.segments = recovered.segments();
        this.head = new HistoryHead(
                dir, recovered.lastOffset(), recovered.lastEpoch(), recovered.epoch(), recovered.fuzzyEnd());
        String name = dir.getFileName() == null ? "store" : dir.getFileName().toString();
        // The log thread calls back only after writing records, and records come only through
        // this store once open has returned it: snapshots and rollback are set by then.
        this.log = new GroupCommitLog(
                segments,
                config.fsync(),
                head.lastOffset,
                "pbkv-log-" + name,
                this::onLogBytesWritten,
                this::onLogFailure);
        this.snapshots = new SnapshotManager(config, map, head, segments, log, "pbkv-snapshot-" + name);
        this.truncation = new TailTruncation(map, head, segments, log, snapshots);
        this.rollback = new UnloggedWriteRollback(map, head, segments, log, snapshots);
        this.retainedLog = new RetainedLogReader(head, segments, log);
    }

    private void onLogBytesWritten(long bytes) { // log thread
        snapshots.onBytesWritten(bytes);
    }

    private void onLogFailure(long held) { // log thread, after a write failure
        rollback.undoAbove(held);
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
        BucketedMap map = new BucketedMap(config.map());
        StoreRecovery.Recovered recovered;
        try {
            recovered = StoreRecovery.recover(config, channels, map);
        } catch (IOException | RuntimeException e) {
            map.close();
            throw e;
        }
        return new Store(config, map, recovered);
    }

    // ---------------------------------------------------------------- reads of the map

    /** The value of key and the offset a linearizable reader must see committed first (see {@link Lookup}). */
    public Lookup lookup(byte[] key) {
        Lookup l = map.lookup(key);
        if (l.found() && l.deadline() != 0 && l.deadline() <= clock.getAsLong()) {
            // Expired but not yet removed (the primary's EXPIRED record does that): hidden.
            return new Lookup(null, l.offset(), l.deadline());
        }
        return l;
    }

    /** The entry as held, expired or not (value and deadline); for tests and diagnostics. */
    public Lookup lookupHeld(byte[] key) {
        return map.lookup(key);
    }

    /**
     * The clock that decides which entries reads hide as expired, and (on the primary, in
     * {@link #apply}) which entries a write treats as gone: epoch milliseconds. The system clock
     * unless a test sets another.
     */
    public void setClock(LongSupplier epochMillis) {
        this.clock = epochMillis;
    }

    /** This store's clock now, epoch milliseconds (see {@link #setClock}). */
    public long nowMillis() {
        return clock.getAsLong();
    }

    /**
     * Up to n keys drawn at random among those with a deadline, for the active expirer; they may
     * have changed since: the expirer's {@link Op#EXPIRED} write checks again under the lock.
     */
    public List<byte[]> sampleExpiring(int n, RandomGenerator random) {
        return map.sampleExpiring(n, random);
    }

    /**
     * Keys that have a deadline, expired ones not yet removed included: O(1), a counter the map
     * keeps in the same critical section as each change of a deadline (Redis's INFO {@code expires}).
     */
    public int expiringCount() {
        return map.expiringCount();
    }

    /**
     * An estimate of the time to live left, in milliseconds by this store's clock, of the keys
     * that have a deadline: the mean over up to sample keys drawn at random among them (as Redis's
     * INFO {@code avg_ttl}, which is also an estimate from samples). Keys already due are left out;
     * 0 when no drawn key has time left. O(sample), no scan.
     */
    public long averageTtlMillis(int sample, RandomGenerator random) {
        long now = clock.getAsLong();
        double sum = 0; // a double: deadlines far in the future would overflow a long sum
        int counted = 0;
        for (byte[] key : map.sampleExpiring(sample, random)) {
            long deadline = map.lookup(key).deadline();
            if (deadline > now) {
                sum += deadline - now;
                counted++;
            }
        }
        return counted == 0 ? 0 : (long) (sum / counted);
    }

    /** Live entries; linearizable with the writes. */
    public long count() {
        return map.count();
    }

    /** How many buckets the map has; {@link #forEachInBucket} takes 0 .. bucketCount() - 1. */
    public int bucketCount() {
        return map.bucketCount();
    }

    /** The bucket that holds key; stable for the life of the store. */
    public int bucketOf(byte[] key) {
        return map.bucketOf(key);
    }

    /**
     * Visits every entry of one bucket as it was at one instant (a copy taken under the bucket's
     * read lock; the visitor runs without it, so it may block or write), except entries whose
     * deadline has passed by this store's clock: they are hidden, as from {@link #lookup}. For
     * dumps, scans and content digests (snapshots copy the map itself, deadlines included).
     */
    public void forEachInBucket(int bucket, EntryVisitor visitor) {
        long now = clock.getAsLong();
        map.forEachInBucket(bucket, new EntryVisitor() {
            @Override
            public void visit(byte[] key, byte[] value, long offset) {
                visitor.visit(key, value, offset, 0);
            }

            @Override
            public void visit(byte[] key, byte[] value, long offset, long deadline) {
                if (deadline == 0 || deadline > now) {
                    visitor.visit(key, value, offset, deadline);
                }
            }
        });
    }

    /**
     * As {@link #forEachInBucket} but with every entry held, expired or not, and its deadline
     * (the visitor's four-argument method): what the node holds, for comparing the two copies.
     */
    public void forEachHeldInBucket(int bucket, EntryVisitor visitor) {
        map.forEachInBucket(bucket, visitor);
    }

    /**
     * Runs read (lookups and bucket visits of this store, nothing else) so that it sees every batch
     * whole or not at all: optimistically, retried on a batch that changed the map meanwhile, then
     * once under the batch fence's read side (which holds off batches, not single writes). read
     * may run more than once, so it must only read. See docs/batches.md, "Isolation".
     */
    public <T> T readAtomically(Supplier<T> read) {
        for (int attempt = 0; attempt < 3; attempt++) {
            long stamp = batchFence.tryOptimisticRead();
            if (stamp != 0) {
                T seen = read.get();
                if (batchFence.validate(stamp)) {
                    return seen;
                }
            }
        }
        long stamp = batchFence.readLock();
        try {
            return read.get();
        } finally {
            batchFence.unlockRead(stamp);
        }
    }

    public MemoryStats memoryStats() {
        return map.memoryStats();
    }

    public StoreConfig config() {
        return config;
    }

    // ---------------------------------------------------------------- writes

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
        head.writeLock.lock();
        try {
            checkWritable();
            long next = head.lastOffset + 1;
            if (m.op() == Op.BATCH) {
                return applyBatch(m, next);
            }
            // SET ... GET: the value a reader would have seen just before this write, read under the
            // same write lock as the write, so no other write comes between the two.
            Lookup before = m.returnPrevious() ? lookup(m.key()) : null;
            byte[] previous = before == null ? null : before.value();
            WriteStep step = decide(m, next);
            if (step.effect == null) {
                // The answer is about the entry (or delete) seen: the caller waits for its offset.
                WriteOutcome r = step.outcome;
                boolean aboutTheKey =
                        r == WriteOutcome.PRESENT || r == WriteOutcome.ABSENT || r == WriteOutcome.UNCHANGED;
                long offset = aboutTheKey ? map.lookup(m.key()).offset() : 0;
                if (before != null) {
                    offset = Math.max(offset, before.offset()); // the previous value answered is committed too
                }
                return new WriteResult(r, null, offset, null, previous);
            }
            boolean withValue = step.effect == Effect.PUT;
            LogRecord rec = new LogRecord(
                    next,
                    head.epoch,
                    step.effect,
                    m.key(),
                    withValue ? m.value() : EMPTY,
                    m.clientId(),
                    m.sequence(),
                    step.deadline);
            append(rec);
            return new WriteResult(step.outcome, rec, rec.offset(), null, previous);
        } finally {
            head.writeLock.unlock();
        }
    }

    /**
     * What a write does, decided and done in the map under the write lock: the outcome, and the
     * effect to log (null when the map did not change) with the deadline it carries.
     */
    private record WriteStep(WriteOutcome outcome, Effect effect, long deadline) {
        static WriteStep of(WriteOutcome outcome, Effect effect, long deadline) {
            return new WriteStep(outcome, outcome.changed() ? effect : null, deadline);
        }
    }

    /**
     * Changes the map for m at offset next. The primary's clock decides expiry here: a write that
     * finds its key expired but not yet removed treats it as absent; when the answer is "absent"
     * (update, delete, expire) the write removes it with an {@link Effect#EXPIRED} record, so a
     * write is never refused over a key that reads cannot see. The extra lookup happens only
     * while some key has a deadline.
     */
    private WriteStep decide(Mutation m, long next) {
        byte[] key = m.key();
        boolean needsEntry = m.op() == Op.EXPIRE
                || m.op() == Op.EXPIRED
                || m.deadline() == Mutation.KEEP_DEADLINE
                || map.expiringCount() > 0;
        Lookup held = needsEntry ? map.lookup(key) : new Lookup(null, 0);
        long oldDeadline = held.found() ? held.deadline() : 0;
        long now = needsEntry ? clock.getAsLong() : 0;
        boolean expiredEntry = oldDeadline != 0 && oldDeadline <= now;
        long deadline = m.deadline() == Mutation.KEEP_DEADLINE ? (expiredEntry ? 0 : oldDeadline) : m.deadline();
        switch (m.op()) {
            case INSERT, PUT -> {
                if (expiredEntry || m.op() == Op.PUT) {
                    WriteOutcome r = map.put(key, m.value(), next, deadline);
                    return WriteStep.of(
                            expiredEntry && r == WriteOutcome.REPLACED ? WriteOutcome.CREATED : r,
                            Effect.PUT,
                            deadline);
                }
                return WriteStep.of(map.insert(key, m.value(), next, deadline), Effect.PUT, deadline);
            }
            case UPDATE -> {
                if (expiredEntry) {
                    return removeExpired(key, next);
                }
                return WriteStep.of(map.update(key, m.value(), next, deadline), Effect.PUT, deadline);
            }
            case DELETE -> {
                if (expiredEntry) {
                    return removeExpired(key, next);
                }
                return WriteStep.of(map.delete(key, next), Effect.DELETE, 0);
            }
            case EXPIRE -> {
                if (!held.found()) {
                    return WriteStep.of(WriteOutcome.ABSENT, null, 0);
                }
                if (expiredEntry) {
                    return removeExpired(key, next);
                }
                if (m.deadline() < 0) {
                    return WriteStep.of(WriteOutcome.REJECTED, null, 0);
                }
                // The condition is checked against the deadline held now, under the write lock: no
                // other write can change it between this check and the change below.
                if (!m.condition().allows(oldDeadline, m.deadline())) {
                    return WriteStep.of(WriteOutcome.UNCHANGED, null, 0);
                }
                if (m.deadline() == 0 && oldDeadline == 0) {
                    return WriteStep.of(WriteOutcome.UNCHANGED, null, 0);
                }
                if (m.deadline() != 0 && m.deadline() <= now) {
                    // A deadline already passed deletes the key now, as Redis does (a DEL, not an expiry).
                    return WriteStep.of(map.delete(key, next), Effect.DELETE, 0);
                }
                return WriteStep.of(map.setDeadline(key, m.deadline(), next), Effect.EXPIRE, m.deadline());
            }
            case EXPIRED -> {
                if (!held.found()) {
                    return WriteStep.of(WriteOutcome.ABSENT, null, 0);
                }
                if (oldDeadline == 0 || oldDeadline > m.deadline()) {
                    return WriteStep.of(WriteOutcome.UNCHANGED, null, 0);
                }
                return WriteStep.of(map.delete(key, next), Effect.EXPIRED, 0);
            }
            default -> throw new IllegalArgumentException("unknown op " + m.op());
        }
    }

    /** Removes an expired entry with an EXPIRED record; the write that found it answers ABSENT. */
    private WriteStep removeExpired(byte[] key, long next) {
        WriteOutcome r = map.delete(key, next);
        return new WriteStep(WriteOutcome.ABSENT, r == WriteOutcome.DELETED ? Effect.EXPIRED : null, 0);
    }

    /** Queues rec, the next record, on the log. Under writeLock: queue position == offset order == map change order. */
    private void append(LogRecord rec) {
        log.enqueue(rec);
        head.lastEpoch = rec.epoch();
        head.lastOffset = rec.offset();
        appendListener.accept(rec);
    }

    /**
     * A batch, under writeLock, at offset next: every condition is checked first, then every effect
     * applied (or none, when the arena refuses one), then one BATCH record appended. A batch that
     * fails or changes nothing appends nothing. See docs/batches.md.
     */
    private WriteResult applyBatch(Mutation m, long next) {
        BatchApply.Evaluation ev = BatchApply.evaluate(map, m.batch(), clock.getAsLong());
        if (ev.failedIndex() >= 0) {
            return new WriteResult(
                    ev.failure(), null, ev.answerOffset(), new BatchOutcome(ev.failedIndex(), ev.before()));
        }
        if (ev.effects().isEmpty()) {
            return new WriteResult(WriteOutcome.APPLIED, null, ev.answerOffset(), new BatchOutcome(-1, ev.before()));
        }
        BatchApply.Failure refused;
        long stamp = batchFence.writeLock();
        try {
            refused = BatchApply.applyEffects(map, ev.effects(), next);
        } finally {
            batchFence.unlockWrite(stamp);
        }
        if (refused != null) {
            int failedOp = ev.effectOps().get(refused.index());
            return new WriteResult(refused.outcome(), null, 0, new BatchOutcome(failedOp, ev.before()));
        }
        // One effect needs no payload: it is logged as its plain put or delete record.
        LogRecord only = ev.effects().size() == 1 ? ev.effects().get(0) : null;
        LogRecord rec = only != null
                ? new LogRecord(next, head.epoch, only.effect(), only.key(), only.value(), m.clientId(), m.sequence())
                : new LogRecord(
                        next,
                        head.epoch,
                        Effect.BATCH,
                        EMPTY,
                        BatchCodec.encode(ev.effects()),
                        m.clientId(),
                        m.sequence());
        append(rec);
        return new WriteResult(WriteOutcome.APPLIED, rec, next, new BatchOutcome(-1, ev.before()));
    }

    private void checkWritable() {
        head.requireOpen();
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
        head.writeLock.lock();
        try {
            head.requireOpen();
            if (log.failure() != null) {
                throw new IOException(
                        "the log cannot be written: " + log.failure().getMessage(), log.failure());
            }
            if (rec.offset() <= head.lastOffset) {
                return;
            }
            if (rec.offset() != head.lastOffset + 1) {
                throw new IOException("gap in replicated log: have " + head.lastOffset + ", got " + rec.offset());
            }
            if (rec.effect() == Effect.BATCH) {
                long stamp = batchFence.writeLock();
                try {
                    MapLoader.applyEffect(map, rec);
                } finally {
                    batchFence.unlockWrite(stamp);
                }
            } else {
                MapLoader.applyEffect(map, rec);
            }
            head.epoch = Math.max(head.epoch, rec.epoch());
            // Still under writeLock: same ordering invariant as apply.
            append(rec);
        } finally {
            head.writeLock.unlock();
        }
    }

    /**
     * Fsync no: the calling thread (an event loop, before a write in its turn) promises to call
     * {@link #writeExpectedLog} at the end of that turn, and its records, and any queued meanwhile,
     * are written then on that thread instead of by a wake of the log thread. False when the
     * policy forces (the log thread does that); then nothing needs calling.
     */
    public boolean expectLogWrite() {
        return log.expectWrite();
    }

    /** Keeps the promise of {@link #expectLogWrite}: writes what is queued, unless another thread is writing. */
    public void writeExpectedLog() {
        log.writeExpected();
    }

    /**
     * Told on the thread that wrote the batch, once per group-commit batch, how far the log is durable, and of a
     * log failure after the store undid the unlogged writes (see {@link #apply}). No notice from
     * before a truncation or snapshot install arrives after it.
     */
    public void setDurableListener(DurableListener listener) {
        log.setDurableListener(listener);
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
        if (head.closed && offset > log.durableOffset()) {
            return CompletableFuture.failedFuture(new IOException("store " + dir + " is closed"));
        }
        return log.whenDurable(offset);
    }

    public long lastOffset() {
        return head.lastOffset;
    }

    /**
     * The map equals the history's state at {@link #lastOffset()} once lastOffset is at least
     * this: after loading a fuzzy snapshot (recovery, or a peer's snapshot installed) the map may
     * already hold effects of records up to this offset. A backup is exact, and fit to serve or be
     * promoted, only from then on; 0 when nothing fuzzy was loaded. See {@link #isConsistentPrefix}.
     */
    public long consistentFromOffset() {
        return head.fuzzyEnd;
    }

    /**
     * Whether the map is the history's state at {@link #lastOffset()}, a consistent prefix of the
     * history: false from loading a fuzzy snapshot until the log reaches {@link #consistentFromOffset()}.
     * A backup serves stale reads only while this holds.
     */
    public boolean isConsistentPrefix() {
        // lastOffset first: install and truncateAfter write fuzzyEnd before lastOffset, so a new
        // lastOffset seen here comes with its fuzzyEnd.
        long last = head.lastOffset;
        return last >= head.fuzzyEnd;
    }

    /** Every record up to this offset is durable as the fsync policy promises (see {@link #whenDurable}). */
    public long durableOffset() {
        return log.durableOffset();
    }

    /** The current epoch, stamped on records written by {@link #apply}. */
    public long epoch() {
        return head.epoch;
    }

    /** Raises the epoch durably (promotion): the epoch file is forced before this returns. Never lowers it. */
    public void raiseEpoch(long newEpoch) throws IOException {
        head.writeLock.lock();
        try {
            if (newEpoch > head.epoch) {
                EpochFile.write(dir, newEpoch);
                head.epoch = newEpoch;
            }
        } finally {
            head.writeLock.unlock();
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
        return retainedLog.read(afterOffset, max);
    }

    /** The epoch of the record at offset (0 for offset 0); used to find where two histories part. */
    public long epochAt(long offset) throws TailNotRetainedException, IOException {
        return retainedLog.epochAt(offset);
    }

    // ---------------------------------------------------------------- divergent tail and snapshots

    /**
     * Discards every record above offset (a divergent tail) from the log, the snapshots and the
     * map; returns how many. Throws IOException when it cannot (see {@link TailTruncation}).
     */
    public long truncateAfter(long offset) throws IOException {
        return truncation.truncateAfter(offset);
    }

    /** A fresh snapshot for a peer; the log after it is kept while the handle is open. */
    public SnapshotHandle snapshotForTransfer() throws IOException {
        return snapshots.snapshotForTransfer();
    }

    /** Replaces the whole contents with a peer's snapshot; the log restarts after its offset. */
    public void installSnapshot(InputStream in) throws IOException {
        snapshots.install(in);
    }

    /**
     * Writes a backup to target (which must not exist): the contents at exactly one offset, in
     * the compressed snapshot format (docs/persistence.md, "Backups"). Runs on the caller's thread
     * while writes go on; no store lock is held across its I/O.
     */
    public BackupInfo writeBackup(Path target) throws IOException {
        Path dir = target.toAbsolutePath().getParent();
        String name = target.getFileName().toString();
        if (Files.exists(target)) {
            throw new java.nio.file.FileAlreadyExistsException(target.toString(), null, "a backup of that name exists");
        }
        return BackupWriter.write(this, dir, offset -> name);
    }

    /** As {@link #writeBackup(Path)}, into dir, named by name(the offset the backup holds). */
    public BackupInfo writeBackup(Path dir, java.util.function.LongFunction<String> name) throws IOException {
        return BackupWriter.write(this, dir, name);
    }

    /**
     * Seeds the store of config (not open; its directory absent or holding an empty store) from a
     * backup file; refuses a store that is not empty and a truncated or corrupt file, loading
     * nothing then (docs/persistence.md, "Restore").
     */
    public static BackupInfo restoreBackup(Path backup, StoreConfig config) throws IOException {
        return BackupRestore.restore(backup, config);
    }

    /** Writes a snapshot in the background and truncates the log it covers; completes with its offset. */
    public CompletableFuture<Long> snapshotNow() {
        return snapshots.snapshotNow();
    }

    /**
     * Flushes and forces the log, stops background work and releases the arena. A snapshot in
     * progress finishes first. A log failure already reported to writers is not thrown again.
     */
    @Override
    public void close() throws IOException {
        head.writeLock.lock();
        try {
            if (head.closed) {
                return;
            }
            head.closed = true;
        } finally {
            head.writeLock.unlock();
        }
        boolean interrupted = snapshots.shutDown();
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
            LOG.warn(
                    "store {} closed after a log failure: {}",
                    dir,
                    log.failure().toString());
        }
    }
}
