package dev.pbkv.server.command;

import com.google.common.util.concurrent.ThreadFactoryBuilder;
import dev.pbkv.server.auth.Authenticator;
import dev.pbkv.server.auth.Principal;
import dev.pbkv.server.command.watch.ChangeFilter;
import dev.pbkv.server.command.watch.Watch;
import dev.pbkv.server.command.watch.WatchHub;
import dev.pbkv.server.config.BackupSettings;
import dev.pbkv.server.config.ExpirySettings;
import dev.pbkv.server.config.LimitSettings;
import dev.pbkv.server.config.Settings;
import dev.pbkv.server.replication.NotPrimaryException;
import dev.pbkv.server.replication.OutcomeUnknownException;
import dev.pbkv.server.replication.Replicator;
import dev.pbkv.server.role.NodeState;
import dev.pbkv.server.role.Role;
import dev.pbkv.store.BatchOp;
import dev.pbkv.store.BatchOutcome;
import dev.pbkv.store.Mutation;
import dev.pbkv.store.Op;
import dev.pbkv.store.Store;
import dev.pbkv.store.WriteResult;
import dev.pbkv.store.map.Lookup;
import dev.pbkv.store.map.MemoryStats;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.PriorityQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The command layer: checks each request against the limits and the node's role and state,
 * hands writes to the {@link Replicator}, answers reads from the store once what they saw is
 * committed, and turns store results and failures into {@link Reply} values. Doors call only this.
 *
 * <p>Threads: every call runs on the caller's thread up to the first wait (a write's commit, a
 * read's commit wait); the future then completes on the thread that made the log durable or the
 * backup's acknowledgement arrive. Dumps run on this layer's own "pbkv-dump" threads because they
 * hand pages to a sink that may block for flow control.
 */
public final class CommandLayer implements Commands, AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(CommandLayer.class);
    /** A dump page holds at most this many entries... */
    static final int PAGE_MAX_ENTRIES = 1000;
    /** ...and about this many key and value bytes (one entry may overshoot it). */
    static final int PAGE_MAX_BYTES = 1 << 20;
    /** Keys with a deadline drawn for status()'s avg_ttl estimate (Redis samples 20 per expire round too). */
    static final int AVG_TTL_SAMPLE = 20;

    private static final Comparator<KeyValue> BY_KEY = (a, b) -> Arrays.compareUnsigned(a.key(), b.key());
    private static final byte[] EMPTY = new byte[0];

    private final Store store;
    private final Replicator replicator;
    private final Settings settings;
    private final LimitSettings limits;
    private final NodeShutdown nodeShutdown;
    private final RequestGate gate = new RequestGate();
    private final Authenticator authenticator;
    private final ExecutorService dumpExecutor;
    private final ActiveExpirer expirer;
    private final WatchHub watches;
    private final Backups backups;
    private final long startedNanos = System.nanoTime();
    /** The doors' bound addresses; set by the node once they are listening, read by status(). */
    private volatile DoorAddresses doorAddresses = DoorAddresses.NONE;

    public CommandLayer(Store store, Replicator replicator, Settings settings, NodeShutdown nodeShutdown) {
        this.store = store;
        this.replicator = replicator;
        this.settings = settings;
        this.limits = settings.limits();
        this.authenticator = Authenticator.of(settings.auth());
        this.nodeShutdown = nodeShutdown;
        this.dumpExecutor = Executors.newCachedThreadPool(new ThreadFactoryBuilder()
                .setNameFormat("pbkv-dump-%d")
                .setDaemon(true)
                .build());
        this.expirer = new ActiveExpirer(store, replicator, ExpirySettings.of(settings), gate::isClosed);
        this.watches = new WatchHub(store, replicator, settings.watchBufferBytes(), System::nanoTime);
        BackupSettings backupSettings = BackupSettings.of(settings);
        this.backups = new Backups(
                store,
                replicator,
                backupSettings,
                backupSettings.directory(settings.self().dataDir()),
                java.time.Clock.systemUTC());
    }

    public void setDoorAddresses(DoorAddresses addresses) {
        this.doorAddresses = addresses;
    }

    // ---- writes ------------------------------------------------------------------------------

    @Override
    public CompletableFuture<Reply<WriteAck>> insert(byte[] key, byte[] value, WriteTag tag) {
        return write(Op.INSERT, key, value, tag);
    }

    @Override
    public CompletableFuture<Reply<WriteAck>> update(byte[] key, byte[] value, WriteTag tag) {
        return write(Op.UPDATE, key, value, tag);
    }

    @Override
    public CompletableFuture<Reply<WriteAck>> put(byte[] key, byte[] value, WriteTag tag) {
        return write(Op.PUT, key, value, tag);
    }

    @Override
    public CompletableFuture<Reply<WriteAck>> delete(byte[] key, WriteTag tag) {
        return write(Op.DELETE, key, EMPTY, tag);
    }

    @Override
    public CompletableFuture<Reply<WriteAck>> insert(byte[] key, byte[] value, Expiry expiry, WriteTag tag) {
        return write(Op.INSERT, key, value, expiry, tag);
    }

    @Override
    public CompletableFuture<Reply<WriteAck>> update(byte[] key, byte[] value, Expiry expiry, WriteTag tag) {
        return write(Op.UPDATE, key, value, expiry, tag);
    }

    @Override
    public CompletableFuture<Reply<WriteAck>> put(byte[] key, byte[] value, Expiry expiry, WriteTag tag) {
        return write(Op.PUT, key, value, expiry, tag);
    }

    private CompletableFuture<Reply<WriteAck>> write(Op op, byte[] key, byte[] value, WriteTag tag) {
        return write(op, key, value, Expiry.NONE, tag);
    }

    /** The deadline a write stores for expiry, or {@link Long#MIN_VALUE} when expiry is not valid for a write. */
    private long writeDeadline(Expiry expiry) {
        return switch (expiry.kind()) {
            case NONE -> Mutation.NO_DEADLINE;
            case KEEP -> Mutation.KEEP_DEADLINE;
            case IN, AT -> {
                long d = expiry.millis() <= 0 ? Long.MIN_VALUE : expiry.deadlineAt(store.nowMillis());
                yield d <= 0 ? Long.MIN_VALUE : d;
            }
            case PERSIST -> Long.MIN_VALUE;
        };
    }

    private CompletableFuture<Reply<WriteAck>> write(Op op, byte[] key, byte[] value, Expiry expiry, WriteTag tag) {
        WriteTag t = tag == null ? WriteTag.NONE : tag;
        long deadline = writeDeadline(expiry(expiry));
        Reply<WriteAck> invalid = checkWrite(key, value, expiry, deadline);
        if (invalid != null) {
            return CompletableFuture.completedFuture(invalid);
        }
        Mutation m = new Mutation(op, key, value == null ? EMPTY : value, t.clientId(), t.sequence(), deadline);
        // The replicator answers once the answer is committed (a write that changed nothing included).
        return written(m, CommandLayer::toAck);
    }

    @Override
    public CompletableFuture<Reply<byte[]>> setReturningPrevious(
            byte[] key, byte[] value, Expiry expiry, SetMode mode) {
        long deadline = writeDeadline(expiry(expiry));
        Reply<byte[]> invalid = checkWrite(key, value, expiry, deadline);
        if (invalid != null) {
            return CompletableFuture.completedFuture(invalid);
        }
        Op op = switch (mode) {
            case PUT -> Op.PUT;
            case INSERT -> Op.INSERT;
            case UPDATE -> Op.UPDATE;
        };
        Mutation m = new Mutation(op, key, value == null ? EMPTY : value, 0, 0, deadline).returningPrevious();
        // The store read the previous value in the write's own step; the answer waits for commit
        // like any write's (and a refused one for the entry it saw).
        return written(m, r -> {
            Reply<WriteAck> ack = toAck(r);
            if (ack instanceof Reply.Failure<WriteAck> f
                    && f.code() != ErrorCode.ALREADY_EXISTS
                    && f.code() != ErrorCode.NOT_FOUND) {
                return new Reply.Failure<>(f.code(), f.message(), f.primaryAddress());
            }
            return Reply.success(r.previous());
        });
    }

    private static Expiry expiry(Expiry expiry) {
        return expiry == null ? Expiry.NONE : expiry;
    }

    /**
     * Why a write of key and value is refused before it reaches the store, or null; deadline is
     * {@link #writeDeadline} of expiry.
     */
    private <T> Reply<T> checkWrite(byte[] key, byte[] value, Expiry expiry, long deadline) {
        Expiry e = expiry(expiry);
        if (deadline == Long.MIN_VALUE) {
            return Reply.failure(
                    ErrorCode.INVALID_ARGUMENT,
                    "invalid expire time " + e.millis() + " (" + e.kind()
                            + "): a ttl must be a positive number of milliseconds that fits, a deadline a positive "
                            + "epoch time in milliseconds");
        }
        byte[] v = value == null ? EMPTY : value;
        Reply<T> invalid = checkKey(key);
        if (invalid == null && v.length > limits.maxValueBytes()) {
            invalid = Reply.failure(
                    ErrorCode.INVALID_ARGUMENT,
                    "value is " + v.length + " bytes; the limit is limits.max-value-bytes = " + limits.maxValueBytes());
        }
        return invalid;
    }

    @Override
    public CompletableFuture<Reply<BatchAck>> batch(List<BatchStep> steps, WriteTag tag) {
        Reply<BatchAck> invalid = checkBatch(steps);
        if (invalid != null) {
            return CompletableFuture.completedFuture(invalid);
        }
        List<BatchOp> ops = new ArrayList<>(steps.size());
        for (BatchStep s : steps) {
            ops.add(s.op());
        }
        WriteTag t = tag == null ? WriteTag.NONE : tag;
        Mutation m = Mutation.batch(ops, t.clientId(), t.sequence());
        return written(m, r -> toBatchAck(steps, r));
    }

    /** Why the batch is refused before it reaches the store, or null: its size and every step's key and value. */
    private Reply<BatchAck> checkBatch(List<BatchStep> steps) {
        if (steps == null || steps.isEmpty()) {
            return Reply.failure(ErrorCode.INVALID_ARGUMENT, "the batch is empty");
        }
        if (steps.size() > limits.maxBatchOps()) {
            return Reply.failure(
                    ErrorCode.INVALID_ARGUMENT,
                    "the batch has " + steps.size() + " operations; the limit is limits.max-batch-ops = "
                            + limits.maxBatchOps() + " (refused, not applied)");
        }
        long bytes = 0;
        for (int i = 0; i < steps.size(); i++) {
            BatchStep s = steps.get(i);
            Reply<BatchAck> bad = checkKey(s.key());
            if (bad == null && s.value().length > limits.maxValueBytes()) {
                bad = Reply.failure(
                        ErrorCode.INVALID_ARGUMENT,
                        "value is " + s.value().length + " bytes; the limit is limits.max-value-bytes = "
                                + limits.maxValueBytes());
            }
            if (bad != null) {
                return Reply.failure(
                        ErrorCode.INVALID_ARGUMENT,
                        "batch operation " + i + ": " + ((Reply.Failure<BatchAck>) bad).message()
                                + " (refused, not applied)");
            }
            bytes += s.key().length + s.value().length;
        }
        if (bytes > limits.maxBatchBytes()) {
            return Reply.failure(
                    ErrorCode.INVALID_ARGUMENT,
                    "the batch holds " + bytes + " bytes of keys and values; the limit is limits.max-batch-bytes = "
                            + limits.maxBatchBytes() + " (refused, not applied)");
        }
        return null;
    }

    /** The one place a batch's outcome becomes an answer. */
    private static Reply<BatchAck> toBatchAck(List<BatchStep> steps, WriteResult r) {
        BatchOutcome b = r.batch();
        int i = b == null ? -1 : b.failedIndex();
        String step = i < 0
                ? ""
                : "batch operation " + i + " (" + steps.get(i).kind().name().toLowerCase() + "): ";
        return switch (r.outcome()) {
            case APPLIED -> Reply.success(new BatchAck(r.offset(), b == null ? List.of() : b.before()));
            case PRESENT -> Reply.failure(ErrorCode.ALREADY_EXISTS, step + "key already exists; nothing applied");
            case ABSENT -> Reply.failure(ErrorCode.NOT_FOUND, step + "key not found; nothing applied");
            case OUT_OF_MEMORY ->
                Reply.failure(
                        ErrorCode.RESOURCE_EXHAUSTED,
                        step + "the store's memory (store.memory) is full; nothing applied");
            case REJECTED ->
                Reply.failure(
                        ErrorCode.INVALID_ARGUMENT,
                        step + "the store refused the entry (key or value too large for its arena); nothing applied");
            // A retry of a one-effect batch (logged as a plain record) answered from the at-most-once table.
            case CREATED, REPLACED, DELETED -> Reply.success(new BatchAck(r.offset(), List.of()));
            case UNCHANGED -> Reply.failure(ErrorCode.INTERNAL, "a batch answered as an expiry");
        };
    }

    /** The one place a write's outcome becomes an answer. */
    private static Reply<WriteAck> toAck(WriteResult r) {
        return switch (r.outcome()) {
            case CREATED -> Reply.success(new WriteAck(r.offset(), true));
            case REPLACED, DELETED -> Reply.success(new WriteAck(r.offset(), false));
            case PRESENT -> Reply.failure(ErrorCode.ALREADY_EXISTS, "key already exists");
            case ABSENT -> Reply.failure(ErrorCode.NOT_FOUND, "key not found");
            case OUT_OF_MEMORY ->
                Reply.failure(
                        ErrorCode.RESOURCE_EXHAUSTED,
                        "the store's memory (store.memory) is full; delete keys to make room");
            case REJECTED ->
                Reply.failure(
                        ErrorCode.INVALID_ARGUMENT,
                        "the store refused the entry (key or value too large for its arena)");
            case UNCHANGED -> Reply.success(new WriteAck(r.answerOffset(), false));
            case APPLIED -> Reply.failure(ErrorCode.INTERNAL, "a single write answered as a batch");
        };
    }

    // ---- expiry (docs/expiry.md) -------------------------------------------------------------

    @Override
    public CompletableFuture<Reply<Boolean>> expire(byte[] key, Expiry expiry) {
        return expire(key, expiry, ExpireCondition.NONE);
    }

    @Override
    public CompletableFuture<Reply<Boolean>> expire(byte[] key, Expiry expiry, ExpireCondition condition) {
        Reply<Boolean> invalid = checkKey(key);
        if (invalid != null) {
            return CompletableFuture.completedFuture(invalid);
        }
        ExpireCondition c = condition == null ? ExpireCondition.NONE : condition;
        if (c.incompatibility() != null) {
            return CompletableFuture.completedFuture(Reply.failure(ErrorCode.INVALID_ARGUMENT, c.incompatibility()));
        }
        Mutation m;
        if (expiry.kind() == Expiry.Kind.PERSIST) {
            if (!c.isNone()) {
                return CompletableFuture.completedFuture(
                        Reply.failure(ErrorCode.INVALID_ARGUMENT, "persist takes no NX, XX, GT or LT condition"));
            }
            m = Mutation.expire(key, 0);
        } else if (expiry.kind() == Expiry.Kind.IN || expiry.kind() == Expiry.Kind.AT) {
            long now = store.nowMillis();
            long deadline = expiry.deadlineAt(now);
            if (deadline == Long.MIN_VALUE) {
                return CompletableFuture.completedFuture(Reply.failure(
                        ErrorCode.INVALID_ARGUMENT, "invalid expire time " + expiry.millis() + ": it overflows"));
            }
            // A deadline already passed removes the key now, as Redis does (a delete, not an expiry):
            // the store does that, under its lock, once the condition holds. Any time passed compares
            // the same with a live key's deadline (which is after now), so 1 stands for all of them
            // (0 would mean persist).
            m = Mutation.expire(key, deadline <= now ? Math.max(deadline, 1) : deadline, c.toStore());
        } else {
            return CompletableFuture.completedFuture(
                    Reply.failure(ErrorCode.INVALID_ARGUMENT, "expire needs a ttl, a deadline or persist"));
        }
        return written(m, r -> switch (r.outcome()) {
            case REPLACED, DELETED -> Reply.success(true);
            case ABSENT, UNCHANGED -> Reply.success(false);
            default -> {
                Reply.Failure<WriteAck> f = (Reply.Failure<WriteAck>) toAck(r);
                yield new Reply.Failure<>(f.code(), f.message(), f.primaryAddress());
            }
        });
    }

    @Override
    public CompletableFuture<Reply<KeyTtl>> ttl(byte[] key, boolean allowStale) {
        Reply<KeyTtl> invalid = checkKey(key);
        if (invalid != null) {
            return CompletableFuture.completedFuture(invalid);
        }
        return read(allowStale, () -> {
            Lookup l = lookupExpiring(key);
            KeyTtl ttl;
            if (!l.found()) {
                ttl = KeyTtl.ABSENT;
            } else if (l.deadline() == 0) {
                ttl = new KeyTtl(true, 0, -1);
            } else {
                ttl = new KeyTtl(true, l.deadline(), Math.max(0, l.deadline() - store.nowMillis()));
            }
            return afterCommit(l.offset(), Reply.success(ttl));
        });
    }

    /** The store's lookup; a key found expired is queued for removal when this node is primary. */
    private Lookup lookupExpiring(byte[] key) {
        Lookup l = store.lookup(key);
        if (l.expired()) {
            expirer.expireLazily(key);
        }
        return l;
    }

    // ---- reads -------------------------------------------------------------------------------

    @Override
    public CompletableFuture<Reply<byte[]>> get(byte[] key, boolean allowStale) {
        Reply<byte[]> invalid = checkKey(key);
        if (invalid != null) {
            return CompletableFuture.completedFuture(invalid);
        }
        return read(allowStale, () -> {
            Lookup l = lookupExpiring(key);
            Reply<byte[]> reply =
                    l.found() ? Reply.success(l.value()) : Reply.failure(ErrorCode.NOT_FOUND, "key not found");
            return afterCommit(l.offset(), reply);
        });
    }

    @Override
    public CompletableFuture<Reply<List<byte[]>>> getMany(List<byte[]> keys, boolean allowStale) {
        for (byte[] key : keys) {
            Reply<List<byte[]>> invalid = checkKey(key);
            if (invalid != null) {
                return CompletableFuture.completedFuture(invalid);
            }
        }
        return read(allowStale, () -> {
            // One cut of the batches: every batch seen whole or not at all (docs/batches.md).
            List<Lookup> seen = store.readAtomically(() -> {
                List<Lookup> out = new ArrayList<>(keys.size());
                for (byte[] key : keys) {
                    out.add(store.lookup(key));
                }
                return out;
            });
            long offset = 0;
            List<byte[]> values = new ArrayList<>(seen.size());
            for (Lookup l : seen) {
                offset = Math.max(offset, l.offset());
                values.add(l.value());
            }
            return afterCommit(offset, Reply.success(java.util.Collections.unmodifiableList(values)));
        });
    }

    @Override
    public CompletableFuture<Reply<Boolean>> exists(byte[] key, boolean allowStale) {
        Reply<Boolean> invalid = checkKey(key);
        if (invalid != null) {
            return CompletableFuture.completedFuture(invalid);
        }
        return read(allowStale, () -> {
            Lookup l = lookupExpiring(key);
            return afterCommit(l.offset(), Reply.success(l.found()));
        });
    }

    @Override
    public CompletableFuture<Reply<Long>> count(boolean allowStale) {
        return read(allowStale, () -> {
            long n = store.count();
            // Every write the count reflects has an offset at or below lastOffset read after it.
            return afterCommit(store.lastOffset(), Reply.success(n));
        });
    }

    @Override
    public CompletableFuture<Reply<List<KeyValue>>> scan(
            byte[] prefix, byte[] startAfter, int limit, boolean allowStale) {
        if (limit < 0 || limit > limits.maxScanLimit()) {
            return CompletableFuture.completedFuture(Reply.failure(
                    ErrorCode.INVALID_ARGUMENT,
                    "scan limit " + Integer.toUnsignedString(limit) + " is above limits.max-scan-limit = "
                            + limits.maxScanLimit()));
        }
        int max = limit == 0 ? Math.min(LimitSettings.DEFAULT_SCAN_LIMIT, limits.maxScanLimit()) : limit;
        byte[] p = prefix == null ? EMPTY : prefix;
        byte[] after = startAfter == null ? EMPTY : startAfter;
        return read(allowStale, () -> {
            // A page sees every batch whole or not at all (docs/batches.md).
            List<KeyValue> page = store.readAtomically(() -> scanSorted(p, after, max));
            return afterCommit(store.lastOffset(), Reply.success(page));
        });
    }

    /** The first max entries in key order with the prefix and after startAfter: a bounded max-heap per pass. */
    private List<KeyValue> scanSorted(byte[] prefix, byte[] startAfter, int max) {
        PriorityQueue<KeyValue> largestOnTop = new PriorityQueue<>(Math.min(max, 1024) + 1, BY_KEY.reversed());
        for (int b = 0; b < store.bucketCount(); b++) {
            store.forEachInBucket(b, (k, v, offset) -> {
                if (!hasPrefix(k, prefix) || (startAfter.length > 0 && Arrays.compareUnsigned(k, startAfter) <= 0)) {
                    return;
                }
                if (largestOnTop.size() == max) {
                    if (Arrays.compareUnsigned(k, largestOnTop.peek().key()) >= 0) {
                        return;
                    }
                    largestOnTop.poll();
                }
                largestOnTop.add(new KeyValue(k, v));
            });
        }
        List<KeyValue> out = new ArrayList<>(largestOnTop);
        out.sort(BY_KEY);
        return out;
    }

    private static boolean hasPrefix(byte[] key, byte[] prefix) {
        return key.length >= prefix.length && Arrays.equals(key, 0, prefix.length, prefix, 0, prefix.length);
    }

    @Override
    public CompletableFuture<Reply<Void>> dump(boolean allowStale, Consumer<List<KeyValue>> pageSink) {
        if (!gate.tryEnter()) {
            return CompletableFuture.completedFuture(shuttingDown());
        }
        Reply<Void> refused = readRefusal(allowStale);
        if (refused != null) {
            gate.exit();
            return CompletableFuture.completedFuture(refused);
        }
        CompletableFuture<Reply<Void>> done = CompletableFuture.supplyAsync(() -> dumpPages(pageSink), dumpExecutor)
                .exceptionally(CommandLayer::failureOf);
        done.whenComplete((r, t) -> gate.exit());
        return done;
    }

    private Reply<Void> dumpPages(Consumer<List<KeyValue>> pageSink) {
        boolean waitForCommit = replicator.role() == Role.PRIMARY;
        for (int b = 0; b < store.bucketCount(); b++) {
            // Copy the bucket under its lock, then hand pages out without holding it: the sink may block.
            List<KeyValue> bucket = new ArrayList<>();
            store.forEachInBucket(b, (k, v, offset) -> bucket.add(new KeyValue(k, v)));
            if (bucket.isEmpty()) {
                continue;
            }
            if (waitForCommit) {
                joinUninterruptibly(replicator.awaitCommitted(store.lastOffset()));
            }
            List<KeyValue> page = new ArrayList<>();
            long bytes = 0;
            for (KeyValue kv : bucket) {
                page.add(kv);
                bytes += kv.key().length + kv.value().length;
                if (page.size() >= PAGE_MAX_ENTRIES || bytes >= PAGE_MAX_BYTES) {
                    pageSink.accept(page);
                    page = new ArrayList<>();
                    bytes = 0;
                }
            }
            if (!page.isEmpty()) {
                pageSink.accept(page);
            }
        }
        return Reply.success(null);
    }

    private static void joinUninterruptibly(CompletableFuture<Void> f) {
        try {
            com.google.common.util.concurrent.Uninterruptibles.getUninterruptibly(f);
        } catch (ExecutionException e) {
            throw new CompletionException(e.getCause());
        }
    }

    // ---- watches -----------------------------------------------------------------------------

    @Override
    public Reply<Watch> watch(ChangeFilter filter, long startOffset, boolean allowStale, Runnable listener) {
        // Not counted in the gate: a watch lasts until its client leaves; closeAndDrain ends them all.
        if (gate.isClosed()) {
            return shuttingDown();
        }
        Reply<Watch> refused = readRefusal(allowStale); // who may serve a watch: who may serve a read
        return refused != null ? refused : watches.open(filter, startOffset, allowStale, listener);
    }

    /** Open watches (status, tests). */
    public int watching() {
        return watches.watching();
    }

    // ---- admin -------------------------------------------------------------------------------

    @Override
    public NodeStatus status() {
        MemoryStats mem = store.memoryStats();
        DoorAddresses doors = doorAddresses;
        NodeState state = gate.isClosed() ? NodeState.SHUTTING_DOWN : replicator.state();
        return new NodeStatus(
                settings.nodeId(),
                settings.role(),
                replicator.role(),
                state,
                replicator.epoch(),
                store.lastOffset(),
                store.durableOffset(),
                replicator.committedOffset(),
                replicator.peerAckedOffset(),
                settings.peerAddress(),
                replicator.peerConnected(),
                store.count(),
                store.expiringCount(),
                store.averageTtlMillis(AVG_TTL_SAMPLE, java.util.concurrent.ThreadLocalRandom.current()),
                mem.usedBytes(),
                mem.capacityBytes(),
                doors.grpc(),
                doors.resp(),
                doors.http(),
                replicator.primaryAddress(),
                TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - startedNanos),
                replicator.coordinatorStatus());
    }

    @Override
    public CompletableFuture<Reply<Long>> promote(boolean force) {
        return admitted(() -> replicator.promote(force).handle((epoch, t) -> {
            if (t == null) {
                return Reply.success(epoch);
            }
            Throwable c = unwrap(t);
            if (c instanceof IllegalStateException) {
                return Reply.failure(ErrorCode.FAILED_PRECONDITION, c.getMessage());
            }
            return failureOf(c);
        }));
    }

    @Override
    public CompletableFuture<Reply<Boolean>> shutdown(boolean skipSwitchover) {
        return nodeShutdown
                .begin(skipSwitchover)
                .handle((switched, t) -> t == null ? Reply.success(switched) : failureOf(t));
    }

    @Override
    public CompletableFuture<Reply<BackupAck>> backup(String name) {
        return admitted(() -> backups.run(name));
    }

    @Override
    public long lastBackupSeconds() {
        return backups.lastSuccessSeconds();
    }

    /**
     * Stops admitting requests (they get UNAVAILABLE) and completes once those in flight have
     * finished. Status shows SHUTTING_DOWN from here on.
     */
    public CompletableFuture<Void> closeAndDrain() {
        gate.close();
        watches.close(); // every watch ends UNAVAILABLE, so its client goes to the other node
        return gate.drained();
    }

    /** Requests admitted and not yet answered. */
    public long inFlight() {
        return gate.inFlight();
    }

    @Override
    public void close() {
        expirer.close();
        watches.close();
        dumpExecutor.shutdownNow();
        backups.close();
        authenticator.close();
    }

    @Override
    public boolean expectLogWrite() {
        return store.expectLogWrite();
    }

    @Override
    public void writeExpectedLog() {
        store.writeExpectedLog();
    }

    @Override
    public boolean authenticationRequired() {
        return authenticator.required();
    }

    @Override
    public CompletableFuture<Optional<Principal>> authenticate(String user, byte[] password) {
        return authenticator.authenticate(user, password);
    }

    @Override
    public long authenticationFailures() {
        return authenticator.failures();
    }

    // ---- shared checks -----------------------------------------------------------------------

    private <T> Reply<T> checkKey(byte[] key) {
        if (key == null || key.length == 0) {
            return Reply.failure(ErrorCode.INVALID_ARGUMENT, "key is empty");
        }
        if (key.length > limits.maxKeyBytes()) {
            return Reply.failure(
                    ErrorCode.INVALID_ARGUMENT,
                    "key is " + key.length + " bytes; the limit is limits.max-key-bytes = " + limits.maxKeyBytes());
        }
        return null;
    }

    /** Runs a read if this node may serve it; on the primary the reply waits until what it saw is committed. */
    private <T> CompletableFuture<Reply<T>> read(boolean allowStale, Supplier<CompletableFuture<Reply<T>>> body) {
        return admitted(() -> {
            Reply<T> refused = readRefusal(allowStale);
            return refused == null ? body.get() : CompletableFuture.completedFuture(refused);
        });
    }

    /**
     * Why this node may not serve a read now, or null when it may. A backup's stale reads promise a
     * consistent prefix of the history, which its map is not from a fuzzy snapshot's install (or a
     * recovery from one) until its log reaches the snapshot's end offset. The acting primary's
     * reads wait for commit instead.
     */
    private <T> Reply<T> readRefusal(boolean allowStale) {
        if (!replicator.canServeReads(allowStale)) {
            return cannotRead(allowStale);
        }
        if (replicator.role() != Role.PRIMARY && !store.isConsistentPrefix()) {
            return new Reply.Failure<>(
                    ErrorCode.UNAVAILABLE,
                    "this node's copy is not yet a consistent prefix (at offset " + store.lastOffset()
                            + ", consistent from " + store.consistentFromOffset() + "): read from the primary",
                    replicator.primaryAddress());
        }
        return null;
    }

    /** The reply, once every write up to offset is committed (primary); at once on a backup. */
    private <T> CompletableFuture<Reply<T>> afterCommit(long offset, Reply<T> reply) {
        if (replicator.role() != Role.PRIMARY || offset <= replicator.committedOffset()) {
            return CompletableFuture.completedFuture(reply);
        }
        // A read that cannot be confirmed was never answered: UNAVAILABLE, whatever failed the wait.
        return replicator
                .awaitCommitted(offset)
                .handle((v, t) -> t == null
                        ? reply
                        : new Reply.Failure<>(
                                ErrorCode.UNAVAILABLE,
                                "the read could not be confirmed: " + unwrap(t).getMessage(),
                                replicator.primaryAddress()));
    }

    private <T> Reply<T> cannotRead(boolean allowStale) {
        String why = replicator.role() == Role.PRIMARY
                ? "this node is in state " + replicator.state() + " and serves no reads"
                : allowStale
                        ? "this backup is in state " + replicator.state() + " and serves no reads"
                        : "this node is a backup; read from the primary or allow stale reads";
        return new Reply.Failure<>(ErrorCode.UNAVAILABLE, why, replicator.primaryAddress());
    }

    /** UNAVAILABLE, pointing at the primary when that is another node (after a switchover). */
    private <T> Reply<T> shuttingDown() {
        String primary = replicator.primaryAddress();
        String self = doorAddresses.grpc();
        return new Reply.Failure<>(
                ErrorCode.UNAVAILABLE,
                "this node is shutting down",
                primary != null && !primary.equals(self) ? primary : null);
    }

    /** Admits the call through the gate, runs it, and turns any exception into a failure reply. */
    private <T> CompletableFuture<Reply<T>> admitted(Supplier<CompletableFuture<Reply<T>>> call) {
        return admitted(call, r -> r);
    }

    /** A write through the replicator, its result turned into the reply by toReply. */
    private <T> CompletableFuture<Reply<T>> written(Mutation m, Function<WriteResult, Reply<T>> toReply) {
        return admitted(() -> replicator.write(m), toReply);
    }

    /**
     * Runs call if the gate admits it, and answers with toReply of its result, or with the
     * failure it ended in, in one stage: on the write path that is one completion per request
     * where thenApply, exceptionally and whenComplete were three.
     */
    private <R, T> CompletableFuture<Reply<T>> admitted(
            Supplier<CompletableFuture<R>> call, Function<? super R, Reply<T>> toReply) {
        if (!gate.tryEnter()) {
            return CompletableFuture.completedFuture(shuttingDown());
        }
        CompletableFuture<R> result;
        try {
            result = call.get();
        } catch (RuntimeException e) {
            result = CompletableFuture.failedFuture(e);
        }
        if (result.isDone()) {
            // Most reads, and refusals: answered here, with no stage to run later.
            Reply<T> out = replyOf(result, toReply);
            gate.exit();
            return CompletableFuture.completedFuture(out);
        }
        CompletableFuture<Reply<T>> reply = new CompletableFuture<>();
        result.whenComplete((r, t) -> {
            reply.complete(t != null ? failureOf(t) : mapped(r, toReply));
            gate.exit();
        });
        return reply;
    }

    /** The reply for a done result: toReply of its value, or the failure it ended in. */
    private static <R, T> Reply<T> replyOf(CompletableFuture<R> done, Function<? super R, Reply<T>> toReply) {
        R r;
        try {
            r = done.join();
        } catch (CompletionException | java.util.concurrent.CancellationException e) {
            return failureOf(e);
        }
        return mapped(r, toReply);
    }

    private static <R, T> Reply<T> mapped(R r, Function<? super R, Reply<T>> toReply) {
        try {
            return toReply.apply(r);
        } catch (RuntimeException e) {
            return failureOf(e);
        }
    }

    private static <T> Reply<T> failureOf(Throwable t) {
        Throwable c = unwrap(t);
        if (c instanceof NotPrimaryException np) {
            return new Reply.Failure<>(ErrorCode.UNAVAILABLE, np.getMessage(), np.primaryAddress());
        }
        if (c instanceof OutcomeUnknownException ou) {
            return new Reply.Failure<>(ErrorCode.OUTCOME_UNKNOWN, ou.getMessage(), ou.primaryAddress());
        }
        if (c instanceof java.util.concurrent.CancellationException) {
            return Reply.failure(ErrorCode.UNAVAILABLE, "cancelled: " + c.getMessage());
        }
        if (c instanceof UncheckedIOException || c instanceof IOException) {
            log.error("storage failure", c);
            return Reply.failure(ErrorCode.INTERNAL, "storage failure: " + c.getMessage());
        }
        log.error("unexpected failure in the command layer", c);
        return Reply.failure(ErrorCode.INTERNAL, "internal error: " + c);
    }

    private static Throwable unwrap(Throwable t) {
        Throwable c = t;
        while ((c instanceof CompletionException || c instanceof ExecutionException) && c.getCause() != null) {
            c = c.getCause();
        }
        return c;
    }
}
