package dev.pbkv.server.replication;

import dev.pbkv.proto.replication.Ack;
import dev.pbkv.proto.replication.BackupMessage;
import dev.pbkv.proto.replication.DigestCheck;
import dev.pbkv.proto.replication.DigestReply;
import dev.pbkv.proto.replication.HandoverDone;
import dev.pbkv.proto.replication.PeerInfo;
import dev.pbkv.proto.replication.PrimaryMessage;
import dev.pbkv.proto.replication.RecordBatch;
import dev.pbkv.proto.replication.ReplRecord;
import dev.pbkv.proto.replication.ReplicationGrpc;
import dev.pbkv.proto.replication.Subscribe;
import dev.pbkv.store.Effect;
import dev.pbkv.store.LogRecord;
import dev.pbkv.store.Store;
import io.grpc.Status;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ClientResponseObserver;
import java.io.IOException;
import java.time.Clock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The backup's end of the Replicate stream: subscribes, applies each batch in order as it
 * arrives (gRPC delivers one message at a time, so the stream's order is the apply order and a
 * slow backup slows the primary's sender through flow control), and acknowledges the highest
 * offset that is applied and durable. Answers the digest check and the handover.
 *
 * <p>Threads: the StreamObserver callbacks (apply, digest compare) on the stream's gRPC thread,
 * one message at a time; {@link #start}, {@link #heartbeat}, {@link #cancel}, {@link #finish}
 * and {@link #sendHandoverDone} on the control thread; {@link #ackDurable} on the store's thread
 * that made the batch durable. Every send goes through sendLock.
 */
final class BackupLink implements ClientResponseObserver<BackupMessage, PrimaryMessage> {
    private static final Logger log = LoggerFactory.getLogger(BackupLink.class);

    /** The replicator's backup side, which decides what the primary's answers mean. */
    private final BackupSide owner;

    private final Store store;
    private final AtMostOnceTable atMostOnce;
    private final Clock clock;
    /** Guards every call on requests: a StreamObserver is not thread-safe. */
    private final Object sendLock = new Object();

    private ClientCallStreamObserver<BackupMessage> requests;

    /** Highest offset applied from this stream (or held before it); written by the gRPC delivery thread. */
    private volatile long lastApplied;
    /** Highest offset acknowledged to the primary; written under sendLock. */
    private volatile long ackedDurable;
    /** The primary's committed offset, from its last batch or heartbeat. */
    private volatile long primaryCommit;
    /** clock.millis() of the primary's last message. */
    private volatile long lastHeardMillis;
    /** Set once the primary accepted the subscription. */
    private volatile boolean welcomed;
    /** The running digest round: buckets that differed and entries seen; gRPC delivery thread only. */
    private int differingBuckets;

    private long digestEntries;
    /** Once true nothing more is sent or applied. */
    private volatile boolean closed;

    BackupLink(BackupSide owner, Store store, AtMostOnceTable atMostOnce, Clock clock) {
        this.owner = owner;
        this.store = store;
        this.atMostOnce = atMostOnce;
        this.clock = clock;
        this.lastHeardMillis = clock.millis();
    }

    /** Opens the stream and subscribes with this node's history. */
    void start(ReplicationGrpc.ReplicationStub stub, PeerInfo self) {
        lastApplied = self.getLastOffset();
        ackedDurable = self.getLastOffset();
        stub.replicate(this);
        send(BackupMessage.newBuilder()
                .setSubscribe(Subscribe.newBuilder().setBackup(self))
                .build());
    }

    @Override
    public void beforeStart(ClientCallStreamObserver<BackupMessage> requestStream) {
        this.requests = requestStream;
    }

    @Override
    public void onNext(PrimaryMessage m) {
        if (closed) {
            return;
        }
        lastHeardMillis = clock.millis();
        switch (m.getKindCase()) {
            case WELCOME -> {
                welcomed = true;
                owner.onWelcome(this, m.getWelcome());
            }
            case REFUSAL -> {
                closed = true;
                owner.onRefusal(this, m.getRefusal());
            }
            case BATCH -> apply(m.getBatch());
            case HEARTBEAT ->
                primaryCommit = Math.max(primaryCommit, m.getHeartbeat().getCommitOffset());
            case DIGEST_CHECK -> compareDigest(m.getDigestCheck());
            case HANDOVER -> owner.onHandover(this, m.getHandover());
            default -> log.warn("ignoring an unknown message from the primary: {}", m.getKindCase());
        }
        // Time spent applying or digesting here is not the primary's silence: messages may have
        // queued behind this one meanwhile.
        lastHeardMillis = clock.millis();
    }

    @Override
    public void onError(Throwable t) {
        closed = true;
        owner.onEnded(this, "stream failed: " + Status.fromThrowable(t));
    }

    @Override
    public void onCompleted() {
        closed = true;
        owner.onEnded(this, "the primary closed the stream");
    }

    private void apply(RecordBatch batch) {
        primaryCommit = Math.max(primaryCommit, batch.getCommitOffset());
        long applied = lastApplied;
        try {
            for (ReplRecord wire : batch.getRecordsList()) {
                if (wire.getOffset() <= applied) {
                    continue; // already held (a resend)
                }
                LogRecord rec = RecordCodec.fromWire(wire);
                boolean existed = rec.clientId() != 0
                        && rec.effect() != Effect.BATCH
                        && store.lookup(rec.key()).found();
                store.applyReplicated(rec);
                atMostOnce.recordReplayed(rec, existed);
                applied = rec.offset();
            }
        } catch (IOException | RuntimeException e) {
            log.error("applying replicated records failed after offset {}", applied, e);
            lastApplied = applied;
            cancel("apply failed: " + e);
            owner.onEnded(this, "apply failed: " + e);
            return;
        }
        lastApplied = applied;
        long upTo = applied;
        store.whenDurable(upTo).whenComplete((v, t) -> {
            if (t == null) {
                ackDurable(upTo);
            } else {
                log.error("the log could not be made durable up to {}", upTo, t);
            }
        });
    }

    private void compareDigest(DigestCheck check) {
        ContentDigest mine = check.getWholeMap()
                ? ContentDigest.ofMap(store)
                : check.getBucketCount() == store.bucketCount()
                        ? ContentDigest.ofBucket(store, check.getBucket())
                        : null;
        boolean same = mine != null
                && lastApplied == check.getOffset()
                && mine.sum() == check.getDigest()
                && mine.entries() == check.getEntries();
        if (!same) {
            differingBuckets++;
            log.warn(
                    "bucket {} differs from the primary's at offset {} (applied {}): {} entries here, {} there",
                    check.getWholeMap() ? "(whole map)" : check.getBucket(),
                    check.getOffset(),
                    lastApplied,
                    mine == null ? "?" : mine.entries(),
                    check.getEntries());
        }
        digestEntries += mine == null ? 0 : mine.entries();
        if (check.getWholeMap() || check.getBucket() == check.getBucketCount() - 1) {
            boolean match = differingBuckets == 0;
            send(BackupMessage.newBuilder()
                    .setDigestReply(DigestReply.newBuilder()
                            .setOffset(check.getOffset())
                            .setMatch(match)
                            .setDifferingBuckets(differingBuckets)
                            .setEntries(digestEntries))
                    .build());
            owner.onDigestCompared(this, check.getOffset(), match, differingBuckets, digestEntries);
            differingBuckets = 0;
            digestEntries = 0;
        }
    }

    /** Acknowledges offset as applied and durable (if it is news). */
    void ackDurable(long offset) {
        synchronized (sendLock) {
            if (offset <= ackedDurable || closed) {
                return;
            }
            ackedDurable = offset;
            requests.onNext(BackupMessage.newBuilder()
                    .setAck(Ack.newBuilder().setDurableOffset(offset))
                    .build());
        }
    }

    /** Repeats the last ack: the backup's heartbeat. */
    void heartbeat() {
        send(BackupMessage.newBuilder()
                .setAck(Ack.newBuilder().setDurableOffset(ackedDurable))
                .build());
    }

    void sendHandoverDone(long newEpoch) {
        send(BackupMessage.newBuilder()
                .setHandoverDone(HandoverDone.newBuilder().setNewEpoch(newEpoch))
                .build());
    }

    /** Half-closes the stream after a last message; the primary then ends the call. */
    void finish() {
        synchronized (sendLock) {
            if (closed) {
                return;
            }
            closed = true;
            try {
                requests.onCompleted();
            } catch (RuntimeException ignored) {
                // already over
            }
        }
    }

    /** Ends the stream at once. */
    void cancel(String why) {
        synchronized (sendLock) {
            closed = true;
            try {
                requests.cancel(why, null);
            } catch (RuntimeException ignored) {
                // already over
            }
        }
    }

    long lastApplied() {
        return lastApplied;
    }

    long primaryCommit() {
        return primaryCommit;
    }

    long lastHeardMillis() {
        return lastHeardMillis;
    }

    boolean welcomed() {
        return welcomed;
    }

    boolean isClosed() {
        return closed;
    }

    private void send(BackupMessage m) {
        synchronized (sendLock) {
            if (closed) {
                return;
            }
            try {
                requests.onNext(m);
            } catch (RuntimeException e) {
                log.debug("message to the primary not sent", e);
            }
        }
    }
}
