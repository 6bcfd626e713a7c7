package dev.pbkv.server.replication;

import com.google.common.util.concurrent.RateLimiter;
import com.google.protobuf.ByteString;
import dev.pbkv.proto.replication.SnapshotChunk;
import dev.pbkv.proto.replication.SnapshotRequest;
import dev.pbkv.store.SnapshotHandle;
import dev.pbkv.store.Store;
import io.grpc.stub.ServerCallStreamObserver;
import java.io.IOException;
import java.io.InputStream;
import java.time.Clock;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The primary's side of snapshot catch-up: streams a snapshot to a backup that asked for one, in
 * chunks at the configured rate and at the pace gRPC flow control allows, and keeps the snapshot
 * last sent open ("pinned") so the log after it stays until the backup subscribes from it.
 *
 * <p>Threads: {@link #serve} is called on a gRPC thread and streams on a transfer thread (it
 * blocks on the disk and on flow control, never on a lock a writer needs); the pinned snapshot
 * is read and written on the control thread only.
 */
final class SnapshotSource {
    private static final Logger log = LoggerFactory.getLogger(SnapshotSource.class);
    /** A snapshot kept open for a backup that has not come back for this long is released. */
    private static final long PINNED_SNAPSHOT_MAX_IDLE_MILLIS = 60_000;

    private final Store store;
    private final PairSettings settings;
    private final Clock clock;
    private final PairState node;
    private final ControlThread control;
    private final ExecutorService transfers;
    /** Snapshots sent from here (Status and tests: one snapshot per catch-up, never a loop). */
    private final AtomicInteger sent = new AtomicInteger();

    // Control thread only (close() reads them after the control thread stopped).
    /** The last snapshot sent, kept open so the log after it stays until the backup resubscribes. */
    private SnapshotHandle pinned;

    private long pinnedSinceMillis;

    SnapshotSource(
            Store store,
            PairSettings settings,
            Clock clock,
            PairState node,
            ControlThread control,
            ExecutorService transfers) {
        this.store = store;
        this.settings = settings;
        this.clock = clock;
        this.node = node;
        this.control = control;
        this.transfers = transfers;
    }

    /** Streams a snapshot to the caller, on a transfer thread. */
    void serve(SnapshotRequest request, ServerCallStreamObserver<SnapshotChunk> out) {
        Object ready = new Object();
        out.setOnReadyHandler(() -> {
            synchronized (ready) {
                ready.notifyAll();
            }
        });
        out.setOnCancelHandler(() -> {
            synchronized (ready) {
                ready.notifyAll();
            }
        });
        String to = request.getCaller().getNodeId();
        transfers.execute(() -> stream(to, out, ready));
    }

    private void stream(String to, ServerCallStreamObserver<SnapshotChunk> out, Object ready) {
        String nodeId = node.nodeId;
        long started = System.nanoTime();
        try {
            SnapshotHandle h = store.snapshotForTransfer();
            control.run(() -> pin(h));
            RateLimiter rate = settings.snapshotRateBytesPerSec() > 0
                    ? RateLimiter.create(settings.snapshotRateBytesPerSec())
                    : null;
            int chunk = settings.snapshotChunkBytes();
            long bytes = 0;
            try (InputStream in = h.openStream()) {
                byte[] buf = new byte[chunk];
                boolean first = true;
                while (true) {
                    int n = in.readNBytes(buf, 0, chunk);
                    if (n == 0 && !first) {
                        break;
                    }
                    synchronized (ready) {
                        while (!out.isReady() && !out.isCancelled() && !node.closed) {
                            ready.wait(100);
                        }
                    }
                    if (out.isCancelled() || node.closed) {
                        log.info("{}: snapshot transfer to {} cancelled after {} bytes", nodeId, to, bytes);
                        return;
                    }
                    if (rate != null && n > 0) {
                        rate.acquire(n);
                    }
                    SnapshotChunk.Builder c = SnapshotChunk.newBuilder().setData(ByteString.copyFrom(buf, 0, n));
                    if (first) {
                        c.setOffset(h.offset()).setEpoch(h.epoch()).setSizeBytes(h.sizeBytes());
                    }
                    out.onNext(c.build());
                    first = false;
                    bytes += n;
                    if (n < chunk) {
                        break;
                    }
                }
            }
            out.onCompleted();
            sent.incrementAndGet();
            log.info(
                    "{}: sent a snapshot at offset {} ({} bytes) to {} in {} ms",
                    nodeId,
                    h.offset(),
                    bytes,
                    to,
                    TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            out.onError(io.grpc.Status.CANCELLED.withDescription("node closing").asRuntimeException());
        } catch (IOException | RuntimeException e) {
            log.warn("{}: snapshot transfer to {} failed", nodeId, to, e);
            try {
                out.onError(io.grpc.Status.INTERNAL
                        .withDescription("snapshot failed: " + e)
                        .asRuntimeException());
            } catch (RuntimeException ignored) {
                // the call is already over
            }
        }
    }

    /** Control thread: the snapshot kept for the backup, or null. */
    SnapshotHandle pinned() {
        return pinned;
    }

    /** Control thread: releases the pinned snapshot once no backup came back for it for a while. */
    void releaseIfIdle(long nowMillis, boolean backupAttached) {
        if (pinned != null && !backupAttached && nowMillis - pinnedSinceMillis > PINNED_SNAPSHOT_MAX_IDLE_MILLIS) {
            log.info("{}: releasing the snapshot kept for a backup that did not come back", node.nodeId);
            release();
        }
    }

    /** Control thread (or after it stopped): closes the pinned snapshot, if any. */
    void release() {
        SnapshotHandle h = pinned;
        pinned = null;
        if (h != null) {
            closeQuietly(h);
        }
    }

    int sent() {
        return sent.get();
    }

    private void pin(SnapshotHandle h) {
        release();
        if (node.closed) {
            closeQuietly(h);
            return;
        }
        pinned = h;
        pinnedSinceMillis = clock.millis();
    }

    private static void closeQuietly(SnapshotHandle h) {
        try {
            h.close();
        } catch (IOException | RuntimeException e) {
            log.warn("closing a snapshot handle failed", e);
        }
    }
}
