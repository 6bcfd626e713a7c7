package dev.pbkv.server.replication;

import dev.pbkv.proto.replication.BackupMessage;
import dev.pbkv.proto.replication.DigestCheck;
import dev.pbkv.proto.replication.Handover;
import dev.pbkv.proto.replication.Heartbeat;
import dev.pbkv.proto.replication.PeerInfo;
import dev.pbkv.proto.replication.PrimaryMessage;
import dev.pbkv.proto.replication.RecordBatch;
import dev.pbkv.proto.replication.Refusal;
import dev.pbkv.proto.replication.Welcome;
import dev.pbkv.store.LogRecord;
import dev.pbkv.store.Store;
import dev.pbkv.store.TailNotRetainedException;
import io.grpc.Status;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import java.io.IOException;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The primary's end of one Replicate stream: receives the backup's subscription, acks and
 * replies, and runs the sender thread that ships the log to it.
 *
 * <p>Batching: the store's append listener puts every new record on an in-memory queue (in
 * offset order, under the store's write lock); the sender thread drains whatever accumulated
 * since its last send into one batch, so writes in flight share a message and a round trip. The
 * queue is bounded: when it is full the listener drops records, and the sender fills any gap
 * between its position and the queue's head from the log ({@link Store#readLog}). The same path
 * serves a catching-up backup: it starts from the backup's offset and reads the log until it
 * reaches the queue. Flow control: the sender waits while the stream is not ready.
 *
 * <p>Why one class of about 500 lines: the queue, the send position, the batches in flight, the
 * catch-up throttle and the digest round are all state of the one sender thread and decide
 * together what it sends next (a digest cut must follow every record up to it, a throttle
 * depends on the send position); split apart they would share that state through accessors.
 *
 * <p>Threads: {@link #onNext} and the other StreamObserver callbacks on gRPC threads;
 * {@link #offer} under the store's write lock (kept short); {@link #accept}, {@link #refuse},
 * {@link #close} and {@link #requestHandover} on the control thread; {@link #admission} on the
 * write path; {@link #maybeHeartbeat} on the sender or the control tick; the rest on the sender
 * thread {@code pbkv-repl-sender-<backup>}, the only one that sends batches and digest checks.
 */
final class PrimarySession implements StreamObserver<BackupMessage> {
    private static final Logger log = LoggerFactory.getLogger(PrimarySession.class);
    /** Most records held in the queue; beyond it the sender reads the log instead. */
    private static final int QUEUE_MAX_RECORDS = 1 << 16;
    /**
     * Most batches sent and not yet acknowledged. Waiting for an ack before sending more lets the
     * writes that arrive meanwhile gather into the next batch: under load, fewer and larger
     * messages (group replication) instead of one message per write.
     */
    static final int MAX_BATCHES_IN_FLIGHT = 2;
    /** While the backup catches up, throughput matters more than batch size: only gRPC flow control limits it. */
    static final int MAX_BATCHES_IN_FLIGHT_CATCHING_UP = 64;
    /** The digest check starts once the backup is at most this many batches behind. */
    static final int DIGEST_LAG_BATCHES = 4;
    /**
     * Catch-up backpressure: once the backup has received everything the primary held when it
     * subscribed, and is still more than this many batches behind, new writes wait until it is
     * within DIGEST_LAG_BATCHES again. Without it a primary that takes writes faster than the
     * backup applies them would keep the backup out of SYNC forever. Writes keep flowing, at the
     * backup's pace.
     */
    static final int THROTTLE_LAG_BATCHES = 16;

    /** The replicator's primary side, which decides what the backup's messages mean. */
    private final PrimarySide owner;

    private final Store store;
    private final WriteFences fences;
    private final PairSettings settings;
    private final Clock clock;
    private final ServerCallStreamObserver<PrimaryMessage> out;
    /** Guards every call on out: a StreamObserver is not thread-safe. */
    private final Object sendLock = new Object();
    /** Records appended since the session started, offset order, possibly with gaps. */
    private final ConcurrentLinkedQueue<LogRecord> queue = new ConcurrentLinkedQueue<>();
    /** Size of queue (ConcurrentLinkedQueue.size is linear). */
    private final AtomicInteger queued = new AtomicInteger();
    /** Completes with the new primary's epoch when the backup answers a Handover. */
    private final CompletableFuture<Long> handoverDone = new CompletableFuture<>();

    /** The subscribed backup; set once by the control thread before the sender starts. */
    private volatile PeerInfo backup;
    /** Next offset to send; written by the sender thread only once it runs. */
    private volatile long nextToSend;
    /** Highest offset the backup acknowledged as applied and durable. */
    private volatile long acked;
    /** Last offsets of the batches sent and not yet acknowledged, oldest first; sender thread only. */
    private final java.util.ArrayDeque<Long> unackedBatchEnds = new java.util.ArrayDeque<>();
    /** clock.millis() of the backup's last message (acks double as heartbeats). */
    private volatile long lastHeardMillis;
    /** Batches and records sent (batching shows as records per batch). */
    private final java.util.concurrent.atomic.LongAdder batchesSent = new java.util.concurrent.atomic.LongAdder();

    private final java.util.concurrent.atomic.LongAdder recordsSent = new java.util.concurrent.atomic.LongAdder();
    /** The primary's last offset when the subscription was accepted: the initial backlog ends there. */
    private volatile long initialTarget;
    /** Set while new writes must wait for the backup (see THROTTLE_LAG_BATCHES); the waiters below. */
    private volatile boolean throttling;

    private final ConcurrentLinkedQueue<CompletableFuture<Void>> throttled = new ConcurrentLinkedQueue<>();
    /** clock.millis() when the backup last made progress: an ack that moved, or a send with nothing outstanding. */
    private volatile long lastProgressMillis;
    /** Once true the session sends nothing more and the sender exits. */
    private volatile boolean closed;
    /** The sender thread, once started; acks, onReady and (while it waits for records) offer unpark it. */
    private volatile Thread sender;
    /**
     * Set by the sender only around its wait for new records (it found nothing to send): an offer
     * unparks it only then. Elsewhere it waits for an ack or for the stream to be ready, and those
     * wake it themselves; unparking it for every record (a futex call under the store's write
     * lock) woke it for nothing. The sender sets this and then looks at the queue once more, and
     * offer adds to the queue and then reads this: one of the two sees the other (both volatile).
     */
    private volatile boolean waitingForRecords;
    /** Offset of the DigestCheck sent, or -1 before it. */
    private volatile long digestOffset = -1;
    /** A Handover to send once every record up to its offset went out; null if none. */
    private volatile Handover pendingHandover;
    /** clock.millis() of the last message sent; decides when a heartbeat is due. */
    private volatile long lastSentMillis;

    PrimarySession(
            PrimarySide owner,
            Store store,
            WriteFences fences,
            PairSettings settings,
            Clock clock,
            ServerCallStreamObserver<PrimaryMessage> out) {
        this.owner = owner;
        this.store = store;
        this.fences = fences;
        this.settings = settings;
        this.clock = clock;
        this.out = out;
        this.lastHeardMillis = clock.millis();
        out.setOnReadyHandler(this::wake);
        out.setOnCancelHandler(() -> {
            closed = true;
            wake();
            owner.onEnded(this, "stream cancelled by the backup");
        });
    }

    // ---- from the backup ---------------------------------------------------------------------

    @Override
    public void onNext(BackupMessage m) {
        lastHeardMillis = clock.millis();
        switch (m.getKindCase()) {
            case SUBSCRIBE -> owner.onSubscribe(this, m.getSubscribe().getBackup());
            case ACK -> {
                long o = m.getAck().getDurableOffset();
                if (o > acked) {
                    acked = o;
                    lastProgressMillis = lastHeardMillis;
                    owner.onAck(this, o);
                    wake();
                }
            }
            case DIGEST_REPLY -> owner.onDigestReply(this, m.getDigestReply());
            case HANDOVER_DONE -> handoverDone.complete(m.getHandoverDone().getNewEpoch());
            default -> log.warn("ignoring an unknown message from the backup: {}", m.getKindCase());
        }
    }

    @Override
    public void onError(Throwable t) {
        closed = true;
        wake();
        owner.onEnded(this, "stream failed: " + Status.fromThrowable(t));
    }

    @Override
    public void onCompleted() {
        closed = true;
        wake();
        owner.onEnded(this, "the backup closed the stream");
        synchronized (sendLock) {
            try {
                out.onCompleted();
            } catch (RuntimeException ignored) {
                // already closed
            }
        }
    }

    // ---- driven by the replicator's control thread -------------------------------------------

    /** Accepts the subscription: the stream starts after startAfter. */
    void accept(PeerInfo backup, long startAfter, Welcome welcome) {
        this.backup = backup;
        this.nextToSend = startAfter + 1;
        this.acked = startAfter;
        this.initialTarget = store.lastOffset();
        send(PrimaryMessage.newBuilder().setWelcome(welcome).build());
        Thread t = new Thread(this::runSender, "pbkv-repl-sender-" + backup.getNodeId());
        t.setDaemon(true);
        sender = t;
        t.start();
    }

    /** Refuses the subscription and ends the call. */
    void refuse(Refusal refusal) {
        closed = true;
        synchronized (sendLock) {
            try {
                out.onNext(PrimaryMessage.newBuilder().setRefusal(refusal).build());
                out.onCompleted();
            } catch (RuntimeException e) {
                log.debug("refusal not delivered", e);
            }
        }
    }

    /** Asks the sender to hand over once everything up to lastOffset went out; completes with the new epoch. */
    CompletableFuture<Long> requestHandover(long lastOffset, long epoch) {
        pendingHandover =
                Handover.newBuilder().setLastOffset(lastOffset).setEpoch(epoch).build();
        wake();
        return handoverDone;
    }

    /** Ends the session: the sender stops and the call completes. */
    void close() {
        releaseThrottled();
        if (closed && sender == null) {
            return;
        }
        closed = true;
        wake();
        synchronized (sendLock) {
            try {
                out.onCompleted();
            } catch (RuntimeException ignored) {
                // the call is already over
            }
        }
    }

    /** Called by the store's append listener, under the store's write lock: keep it short. */
    void offer(LogRecord rec) {
        if (closed) {
            return;
        }
        if (queued.get() < QUEUE_MAX_RECORDS) {
            queue.add(rec);
            queued.incrementAndGet();
        }
        if (waitingForRecords) {
            wake();
        }
    }

    PeerInfo backup() {
        return backup;
    }

    long acked() {
        return acked;
    }

    long lastHeardMillis() {
        return lastHeardMillis;
    }

    long batchesSent() {
        return batchesSent.sum();
    }

    long recordsSent() {
        return recordsSent.sum();
    }

    /**
     * How long records sent have been waiting for the backup's ack without any progress (0 when
     * nothing is outstanding). A backup that still sends heartbeats but stopped acknowledging (a
     * stuck disk) would otherwise hold every write in SYNC forever.
     */
    long stalledMillis(long now) {
        return acked >= nextToSend - 1 ? 0 : now - lastProgressMillis;
    }

    long digestOffset() {
        return digestOffset;
    }

    boolean isClosed() {
        return closed;
    }

    // ---- the sender thread -------------------------------------------------------------------

    private void runSender() {
        long heartbeatNanos = settings.heartbeat().toNanos();
        lastSentMillis = clock.millis();
        try {
            while (!closed) {
                int maxInFlight = digestOffset < 0 ? MAX_BATCHES_IN_FLIGHT_CATCHING_UP : MAX_BATCHES_IN_FLIGHT;
                if (!out.isReady() || batchesInFlight() >= maxInFlight) {
                    LockSupport.parkNanos(this, heartbeatNanos);
                    maybeHeartbeat();
                    continue;
                }
                List<LogRecord> batch = collect(Long.MAX_VALUE);
                if (batch == null) {
                    return; // refused with SNAPSHOT_NEEDED
                }
                if (!batch.isEmpty()) {
                    sendBatch(batch);
                    updateThrottle();
                    if (digestOffset < 0
                            && store.lastOffset() - (nextToSend - 1)
                                    <= (long) DIGEST_LAG_BATCHES * settings.batchMaxRecords()) {
                        if (!checkDigest()) {
                            return;
                        }
                    }
                    continue;
                }
                updateThrottle();
                if (digestOffset < 0 && !checkDigest()) {
                    return;
                }
                Handover h = pendingHandover;
                if (h != null && nextToSend > h.getLastOffset()) {
                    pendingHandover = null;
                    send(PrimaryMessage.newBuilder().setHandover(h).build());
                    log.info("sent handover at offset {} to {}", h.getLastOffset(), backup.getNodeId());
                }
                maybeHeartbeat();
                waitingForRecords = true;
                if (queue.isEmpty()) { // looked at after the flag is up: an offer before it is seen here
                    LockSupport.parkNanos(this, heartbeatNanos);
                }
                waitingForRecords = false;
            }
        } catch (RuntimeException | IOException e) {
            if (!closed) {
                log.warn("replication sender for {} failed", backup.getNodeId(), e);
                owner.onEnded(this, "sender failed: " + e);
            }
        } finally {
            sender = null;
            queue.clear();
            releaseThrottled();
        }
    }

    /** Null when a write may go ahead now; else a future completed once it may (catch-up backpressure). */
    CompletableFuture<Void> admission() {
        if (!throttling) {
            return null;
        }
        CompletableFuture<Void> f = new CompletableFuture<>();
        throttled.add(f);
        if (!throttling) {
            releaseThrottled(); // released between the check and the add
        }
        return f;
    }

    /** Sender thread: starts or ends the catch-up backpressure from the current lag. */
    private void updateThrottle() {
        if (digestOffset >= 0 || nextToSend <= initialTarget) {
            if (throttling) {
                releaseThrottled();
            }
            return;
        }
        long lag = store.lastOffset() - (nextToSend - 1);
        long batch = settings.batchMaxRecords();
        if (!throttling && lag > THROTTLE_LAG_BATCHES * batch) {
            throttling = true;
            log.info(
                    "backup {} is {} records behind after its initial catch-up; writes now wait for it",
                    backup.getNodeId(),
                    lag);
        } else if (throttling && lag <= DIGEST_LAG_BATCHES * batch) {
            releaseThrottled();
        }
    }

    private void releaseThrottled() {
        throttling = false;
        CompletableFuture<Void> f;
        while ((f = throttled.poll()) != null) {
            f.complete(null);
        }
    }

    /**
     * The digest check, bucket by bucket: with writes to one bucket fenced, read the cut (the
     * current last offset) and that bucket's digest, in memory; release the fence; then send every
     * record up to the cut and the bucket's digest at exactly that offset. The backup compares when
     * it reaches it in the stream. The fence covers no log read and no send (see WriteFences):
     * writes, to this bucket too, go on while the records go out. When the maps have different
     * bucket counts, the whole map is fenced and digested at once. Returns false when the session
     * ended meanwhile.
     */
    private boolean checkDigest() throws IOException {
        int buckets = store.bucketCount();
        boolean perBucket = backup.getBuckets() == buckets;
        long started = System.nanoTime();
        long longestPauseNanos = 0;
        long at = 0;
        long entries = 0;
        for (int b = 0; b < (perBucket ? buckets : 1); b++) {
            if (closed) {
                return false;
            }
            long pauseStart = System.nanoTime();
            int bucket = b;
            DigestCut cut = fences.cut(
                    perBucket ? b : -1,
                    () -> new DigestCut(
                            store.lastOffset(),
                            perBucket ? ContentDigest.ofBucket(store, bucket) : ContentDigest.ofMap(store)));
            longestPauseNanos = Math.max(longestPauseNanos, System.nanoTime() - pauseStart);
            at = cut.at();
            owner.onDigestCut(b, at);
            while (nextToSend <= at) {
                List<LogRecord> batch = collect(at);
                if (batch == null) {
                    return false;
                }
                sendBatch(batch);
            }
            entries += cut.digest().entries();
            send(PrimaryMessage.newBuilder()
                    .setDigestCheck(DigestCheck.newBuilder()
                            .setOffset(at)
                            .setBucket(b)
                            .setBucketCount(perBucket ? buckets : 1)
                            .setWholeMap(!perBucket)
                            .setDigest(cut.digest().sum())
                            .setEntries(cut.digest().entries()))
                    .build());
            maybeHeartbeat();
        }
        digestOffset = at;
        log.info(
                "sent content digests of {} to {} up to offset {} ({} entries) in {} ms; writes to a bucket "
                        + "paused at most {} ms",
                perBucket ? buckets + " buckets" : "the whole map",
                backup.getNodeId(),
                at,
                entries,
                TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started),
                TimeUnit.NANOSECONDS.toMillis(longestPauseNanos));
        return true;
    }

    /** A bucket's (or the whole map's) digest and the offset it holds exactly the history up to. */
    private record DigestCut(long at, ContentDigest digest) {}

    /**
     * Up to batch-max-records records from nextToSend on, none above upTo: from the queue when
     * its head is the next record, else from the log up to the queue's head. Null when the log
     * no longer holds them: the backup was told to fetch a snapshot and the session ended.
     */
    private List<LogRecord> collect(long upTo) throws IOException {
        long last = Math.min(store.lastOffset(), upTo);
        // Records already sent are dropped first, also when nothing is left to send: the sender
        // waits for records only on an empty queue, and one left here would keep it from waiting.
        LogRecord head;
        while ((head = queue.peek()) != null && head.offset() < nextToSend) {
            queue.poll();
            queued.decrementAndGet();
        }
        if (nextToSend > last) {
            return List.of();
        }
        int maxRecords = settings.batchMaxRecords();
        long maxBytes = settings.batchMaxBytes();
        List<LogRecord> batch = new ArrayList<>(Math.min(maxRecords, 256));
        long bytes = 0;
        if (head != null && head.offset() == nextToSend) {
            while (batch.size() < maxRecords
                    && bytes < maxBytes
                    && (head = queue.peek()) != null
                    && head.offset() == nextToSend + batch.size()
                    && head.offset() <= last) {
                queue.poll();
                queued.decrementAndGet();
                batch.add(head);
                bytes += RecordCodec.weight(head);
            }
            return batch;
        }
        long gapEnd = head == null ? last : Math.min(last, head.offset() - 1);
        int want = (int) Math.min(maxRecords, gapEnd - nextToSend + 1);
        try {
            if (nextToSend - 1 < owner.retainedFloor()) {
                throw new TailNotRetainedException(nextToSend - 1, owner.retainedFloor());
            }
            for (LogRecord r : store.readLog(nextToSend - 1, want)) {
                if (r.offset() != nextToSend + batch.size()) {
                    throw new IOException("log read after " + (nextToSend - 1) + " returned offset " + r.offset());
                }
                batch.add(r);
                bytes += RecordCodec.weight(r);
                if (bytes >= maxBytes) {
                    break;
                }
            }
            return batch;
        } catch (TailNotRetainedException e) {
            log.info(
                    "backup {} needs records after offset {}, which the log no longer holds: {}; "
                            + "asking it to fetch a snapshot",
                    backup.getNodeId(),
                    nextToSend - 1,
                    e.getMessage());
            refuse(Refusal.newBuilder()
                    .setReason(Refusal.Reason.SNAPSHOT_NEEDED)
                    .setDetail(e.getMessage())
                    .setPrimary(owner.selfInfo())
                    .build());
            owner.onEnded(this, "the backup needs a snapshot");
            return null;
        }
    }

    private int batchesInFlight() {
        long a = acked;
        while (!unackedBatchEnds.isEmpty() && unackedBatchEnds.peekFirst() <= a) {
            unackedBatchEnds.pollFirst();
        }
        return unackedBatchEnds.size();
    }

    /** Sends a heartbeat if nothing went out for heartbeat-ms (the sender, or the control tick while the sender is busy). */
    void maybeHeartbeat() {
        if (clock.millis() - lastSentMillis >= settings.heartbeat().toMillis()) {
            send(PrimaryMessage.newBuilder()
                    .setHeartbeat(Heartbeat.newBuilder()
                            .setCommitOffset(owner.committedOffset())
                            .setLastOffset(store.lastOffset()))
                    .build());
        }
    }

    private void sendBatch(List<LogRecord> batch) {
        if (acked >= nextToSend - 1) {
            lastProgressMillis = clock.millis(); // nothing was outstanding: the wait for an ack starts now
        }
        RecordBatch.Builder b = RecordBatch.newBuilder().setCommitOffset(owner.committedOffset());
        for (LogRecord r : batch) {
            b.addRecords(RecordCodec.toWire(r));
        }
        send(PrimaryMessage.newBuilder().setBatch(b).build());
        long end = batch.get(batch.size() - 1).offset();
        unackedBatchEnds.addLast(end);
        batchesSent.increment();
        recordsSent.add(batch.size());
        nextToSend = end + 1;
    }

    private void send(PrimaryMessage m) {
        synchronized (sendLock) {
            if (closed && !m.hasRefusal()) {
                return;
            }
            out.onNext(m);
        }
        lastSentMillis = clock.millis();
    }

    private void wake() {
        Thread t = sender;
        if (t != null) {
            LockSupport.unpark(t);
        }
    }
}
