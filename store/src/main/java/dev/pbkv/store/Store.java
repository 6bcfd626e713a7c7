package dev.pbkv.store;

import dev.pbkv.store.map.BucketedMap;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.function.Consumer;

/**
 * PLACEHOLDER with the final API: the durable store (map + log + snapshots). This version keeps
 * the log in memory and is replaced by the real persistence layer; callers rely only on the
 * public methods and their documented contracts.
 *
 * <p>Writes are totally ordered: {@link #apply} and {@link #applyReplicated} run under one write
 * lock that covers the map change, the offset assignment and the log append, so the log's order
 * is the order in which the map changed (per-key order on the backup equals the primary's).
 */
public final class Store implements AutoCloseable {
    private final StoreConfig config;
    private final BucketedMap map;
    private final Object writeLock = new Object();
    private final List<LogRecord> log = new ArrayList<>();
    private volatile long lastOffset;
    private volatile long epoch;
    private volatile Consumer<LogRecord> appendListener = r -> { };

    private Store(StoreConfig config) {
        this.config = config;
        this.map = new BucketedMap(config.map());
    }

    /** Opens the store in its data directory, recovering the newest valid snapshot and the log tail. */
    public static Store open(StoreConfig config) throws IOException {
        return new Store(config);
    }

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
     */
    public WriteResult apply(Mutation m) {
        synchronized (writeLock) {
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
            LogRecord rec = new LogRecord(next, epoch, m.op() == Op.DELETE ? Effect.DELETE : Effect.PUT,
                    m.key(), m.value(), m.clientId(), m.sequence());
            log.add(rec);
            lastOffset = next;
            appendListener.accept(rec);
            return new WriteResult(r, rec);
        }
    }

    /**
     * Applies a record received from the primary (backup side). The record's offset must be
     * {@link #lastOffset()} + 1; a record at or below lastOffset is ignored (a resend).
     */
    public void applyReplicated(LogRecord rec) throws IOException {
        synchronized (writeLock) {
            if (rec.offset() <= lastOffset) {
                return;
            }
            if (rec.offset() != lastOffset + 1) {
                throw new IOException("gap in replicated log: have " + lastOffset + ", got " + rec.offset());
            }
            if (rec.effect() == Effect.PUT) {
                map.put(rec.key(), rec.value(), rec.offset());
            } else {
                map.delete(rec.key(), rec.offset());
            }
            log.add(rec);
            lastOffset = rec.offset();
            epoch = Math.max(epoch, rec.epoch());
            appendListener.accept(rec);
        }
    }

    /** Called under the write lock with every record appended, in offset order. Keep it short. */
    public void setAppendListener(Consumer<LogRecord> listener) {
        this.appendListener = listener;
    }

    /** Completes once every record up to offset is on disk as the fsync policy promises. */
    public CompletableFuture<Void> whenDurable(long offset) {
        return CompletableFuture.completedFuture(null);
    }

    public long lastOffset() {
        return lastOffset;
    }

    public long durableOffset() {
        return lastOffset;
    }

    /** The current epoch, stamped on records written by {@link #apply}. */
    public long epoch() {
        return epoch;
    }

    /** Raises the epoch durably (promotion). Never lowers it. */
    public void raiseEpoch(long newEpoch) throws IOException {
        synchronized (writeLock) {
            epoch = Math.max(epoch, newEpoch);
        }
    }

    /** The log holds every record with an offset above this one. */
    public long logBaseOffset() {
        return 0;
    }

    /** Up to max records with offsets above afterOffset, in order. */
    public List<LogRecord> readLog(long afterOffset, int max) throws TailNotRetainedException, IOException {
        synchronized (writeLock) {
            List<LogRecord> out = new ArrayList<>();
            for (int i = (int) afterOffset; i < log.size() && out.size() < max; i++) {
                out.add(log.get(i));
            }
            return out;
        }
    }

    /** The epoch of the record at offset (0 for offset 0); used to find where two histories part. */
    public long epochAt(long offset) throws TailNotRetainedException, IOException {
        synchronized (writeLock) {
            return offset == 0 ? 0 : log.get((int) offset - 1).epoch();
        }
    }

    /**
     * Discards every record above offset and rebuilds the map without them: the divergent tail
     * of an old primary. Returns the number of records dropped.
     */
    public long truncateAfter(long offset) throws IOException {
        synchronized (writeLock) {
            long dropped = lastOffset - offset;
            List<LogRecord> keep = new ArrayList<>(log.subList(0, (int) offset));
            log.clear();
            map.clear();
            lastOffset = 0;
            for (LogRecord r : keep) {
                applyReplicated(r);
            }
            return Math.max(0, dropped);
        }
    }

    /** A snapshot of the current contents for a peer; keeps the log after its offset while open. */
    public SnapshotHandle snapshotForTransfer() throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        long offset;
        long ep;
        synchronized (writeLock) {
            offset = lastOffset;
            ep = epoch;
            DataOutputStream out = new DataOutputStream(bytes);
            out.writeLong(offset);
            out.writeLong(ep);
            for (int b = 0; b < map.bucketCount(); b++) {
                map.forEachInBucket(b, (k, v, o) -> {
                    try {
                        out.writeInt(k.length);
                        out.write(k);
                        out.writeInt(v.length);
                        out.write(v);
                        out.writeLong(o);
                    } catch (IOException e) {
                        throw new UncheckedIOException(e);
                    }
                });
            }
            out.writeInt(-1);
        }
        byte[] data = bytes.toByteArray();
        return new SnapshotHandle() {
            public long offset() { return offset; }
            public long epoch() { return ep; }
            public long sizeBytes() { return data.length; }
            public InputStream openStream() { return new ByteArrayInputStream(data); }
            public void close() { }
        };
    }

    /** Replaces the whole contents with a snapshot from a peer; the log restarts after its offset. */
    public void installSnapshot(InputStream in) throws IOException {
        synchronized (writeLock) {
            DataInputStream din = new DataInputStream(in);
            long offset = din.readLong();
            long ep = din.readLong();
            map.clear();
            log.clear();
            for (int kl = din.readInt(); kl >= 0; kl = din.readInt()) {
                byte[] k = din.readNBytes(kl);
                byte[] v = din.readNBytes(din.readInt());
                map.put(k, v, din.readLong());
            }
            lastOffset = offset;
            epoch = Math.max(epoch, ep);
        }
    }

    /** Writes a snapshot now, in the background, and truncates the log it covers. */
    public CompletableFuture<Long> snapshotNow() {
        return CompletableFuture.completedFuture(lastOffset);
    }

    /** Flushes and forces the log, stops background work and releases the arena. */
    @Override
    public void close() throws IOException {
        map.close();
    }
}
