package dev.pbkv.client;

import com.google.protobuf.ByteString;
import dev.pbkv.proto.BackupRequest;
import dev.pbkv.proto.BatchRequest;
import dev.pbkv.proto.CountRequest;
import dev.pbkv.proto.DeleteRequest;
import dev.pbkv.proto.DumpRequest;
import dev.pbkv.proto.DumpResponse;
import dev.pbkv.proto.ExistsRequest;
import dev.pbkv.proto.ExpireRequest;
import dev.pbkv.proto.ExpireResponse;
import dev.pbkv.proto.GetRequest;
import dev.pbkv.proto.PromoteRequest;
import dev.pbkv.proto.Role;
import dev.pbkv.proto.ScanRequest;
import dev.pbkv.proto.ScanResponse;
import dev.pbkv.proto.ShutdownRequest;
import dev.pbkv.proto.StatusRequest;
import dev.pbkv.proto.StatusResponse;
import dev.pbkv.proto.TtlRequest;
import dev.pbkv.proto.TtlResponse;
import dev.pbkv.proto.WriteRequest;
import io.grpc.Context;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;
import java.util.Optional;
import java.util.Spliterator;
import java.util.Spliterators;
import java.util.concurrent.TimeUnit;
import java.util.function.BiFunction;
import java.util.function.Function;
import java.util.stream.Stream;
import java.util.stream.StreamSupport;

/**
 * The blocking pbkv client. Thread-safe: share one per process. Every call finds the primary,
 * follows a failover and retries UNAVAILABLE up to the retry deadline (see {@link Failover});
 * every write carries a write tag so that its retries are applied at most once.
 *
 * <p>Results the caller must handle are values: {@code get} returns an empty Optional for an
 * absent key, writes return a {@link WriteResult} whose status may be NOT_FOUND or
 * ALREADY_EXISTS. Exceptions are for failures: {@link PbkvUnavailableException} when no node
 * served the call in time, {@link PbkvException} with the gRPC status code otherwise.
 */
public final class PbkvClient implements AutoCloseable {

    /** The page size scan asks for; below the node's default maximum (10000). */
    static final int SCAN_PAGE = 1000;

    /** How long one attempt of a backup may take: writing a large store takes a while. */
    static final Duration BACKUP_DEADLINE = Duration.ofMinutes(30);

    private final ClientOptions options;
    private final NodeChannels nodes;
    private final Failover failover;
    private final WriteTags tags = new WriteTags();

    PbkvClient(ClientOptions options) {
        this.options = options;
        this.nodes = new NodeChannels(options);
        this.failover = new Failover(nodes, options);
    }

    /** A builder: add endpoints, set deadlines, then {@code build()} or {@code buildAsync()}. */
    public static PbkvClientBuilder builder() {
        return new PbkvClientBuilder();
    }

    /** A client of both nodes named in {@code conf/settings.conf}, with default deadlines. */
    public static PbkvClient fromSettings(Path settingsConf) {
        return builder().settings(settingsConf).build();
    }

    // ---- watches ----

    /**
     * Watches the committed changes of one key, from startOffset (0: from now), following a
     * failover (see {@link KvWatch}). Stale reads allowed: a backup may serve it too.
     */
    public KvWatch watch(byte[] key, long startOffset) {
        return new KvWatch(failover, key, false, startOffset, options.allowStale());
    }

    /** Watches the committed changes of every key with the prefix (every key for an empty one). */
    public KvWatch watchPrefix(byte[] prefix, long startOffset) {
        return new KvWatch(failover, prefix, true, startOffset, options.allowStale());
    }

    // ---- reads ----

    /** The value of a key, or empty when the key is absent. */
    public Optional<byte[]> get(byte[] key) {
        GetRequest req = GetRequest.newBuilder()
                .setKey(ByteString.copyFrom(key))
                .setAllowStale(options.allowStale())
                .build();
        return read(
                (n, t) -> n.kvBlocking()
                        .withDeadlineAfter(t, TimeUnit.NANOSECONDS)
                        .get(req),
                r -> Optional.of(r.getValue().toByteArray()),
                code -> code == Status.Code.NOT_FOUND ? Optional.empty() : null);
    }

    /** The value of a key as UTF-8 text, or empty when the key is absent. */
    public Optional<String> get(String key) {
        return get(utf8(key)).map(v -> new String(v, StandardCharsets.UTF_8));
    }

    /** Whether a key is present. */
    public boolean exists(byte[] key) {
        ExistsRequest req = ExistsRequest.newBuilder()
                .setKey(ByteString.copyFrom(key))
                .setAllowStale(options.allowStale())
                .build();
        return read(
                (n, t) -> n.kvBlocking()
                        .withDeadlineAfter(t, TimeUnit.NANOSECONDS)
                        .exists(req),
                r -> r.getExists(),
                code -> null);
    }

    public boolean exists(String key) {
        return exists(utf8(key));
    }

    /** The number of keys stored. */
    public long count() {
        CountRequest req =
                CountRequest.newBuilder().setAllowStale(options.allowStale()).build();
        return read(
                (n, t) -> n.kvBlocking()
                        .withDeadlineAfter(t, TimeUnit.NANOSECONDS)
                        .count(req),
                r -> r.getCount(),
                code -> null);
    }

    /**
     * The entries whose key starts with {@code prefix}, in key order (unsigned bytes), at most
     * {@code limit} of them (0: all). Pages of {@value #SCAN_PAGE} are fetched lazily as the stream
     * is read, each continuing after the last key received, so a failover between pages neither
     * repeats nor skips a key that stayed in place.
     */
    public Stream<KvEntry> scan(byte[] prefix, long limit) {
        if (limit < 0) {
            throw new IllegalArgumentException("scan limit must be >= 0, got " + limit);
        }
        Iterator<KvEntry> pages = new ScanPages(ByteString.copyFrom(prefix), limit);
        return StreamSupport.stream(
                Spliterators.spliteratorUnknownSize(pages, Spliterator.ORDERED | Spliterator.NONNULL), false);
    }

    public Stream<KvEntry> scan(String prefix, long limit) {
        return scan(utf8(prefix), limit);
    }

    /** Every entry, in key order. */
    public Stream<KvEntry> scan() {
        return scan(new byte[0], 0);
    }

    /**
     * Every entry, streamed by the node in no particular order. Close the stream (try with
     * resources) to cancel the call early. A failure before the first page is retried like any
     * call; a failure in the middle ends the stream with a {@link PbkvException}.
     */
    public Stream<KvEntry> dump() {
        DumpRequest req =
                DumpRequest.newBuilder().setAllowStale(options.allowStale()).build();
        Context.CancellableContext context = Context.current().withCancellation();
        long streamNanos = options.streamTimeout().toNanos();
        Iterator<DumpResponse> responses = read(
                (n, t) -> {
                    Iterator<DumpResponse> it;
                    Context previous = context.attach();
                    try {
                        it = n.adminBlocking()
                                .withDeadlineAfter(streamNanos, TimeUnit.NANOSECONDS)
                                .dump(req);
                    } finally {
                        context.detach(previous);
                    }
                    it.hasNext(); // the first page or the refusal, so that a refusal is retried elsewhere
                    return new Iterator<DumpResponse>() {
                        @Override
                        public boolean hasNext() {
                            try {
                                return it.hasNext();
                            } catch (StatusRuntimeException e) {
                                throw Failover.failed(n.endpoint(), e);
                            }
                        }

                        @Override
                        public DumpResponse next() {
                            try {
                                return it.next();
                            } catch (StatusRuntimeException e) {
                                throw Failover.failed(n.endpoint(), e);
                            }
                        }
                    };
                },
                r -> r,
                code -> null);
        return StreamSupport.stream(Spliterators.spliteratorUnknownSize(responses, Spliterator.ORDERED), false)
                .flatMap(r -> r.getEntriesList().stream().map(KvEntry::of))
                .onClose(() -> context.cancel(null));
    }

    // ---- writes ----

    /** Stores a key only if it is absent: OK, or ALREADY_EXISTS. */
    public WriteResult insert(byte[] key, byte[] value) {
        return insert(write(key, value));
    }

    private WriteResult insert(WriteRequest req) {
        return call(
                (n, t) -> n.kvBlocking()
                        .withDeadlineAfter(t, TimeUnit.NANOSECONDS)
                        .insert(req),
                WriteResult::of,
                code -> code == Status.Code.ALREADY_EXISTS ? WriteResult.ALREADY_EXISTS : null);
    }

    public WriteResult insert(String key, String value) {
        return insert(utf8(key), utf8(value));
    }

    /** Replaces the value of a key only if it is present: OK, or NOT_FOUND. */
    public WriteResult update(byte[] key, byte[] value) {
        return update(write(key, value));
    }

    private WriteResult update(WriteRequest req) {
        return call(
                (n, t) -> n.kvBlocking()
                        .withDeadlineAfter(t, TimeUnit.NANOSECONDS)
                        .update(req),
                WriteResult::of,
                code -> code == Status.Code.NOT_FOUND ? WriteResult.NOT_FOUND : null);
    }

    public WriteResult update(String key, String value) {
        return update(utf8(key), utf8(value));
    }

    /** Stores a key whether or not it is present: always OK; {@code created()} tells which. */
    public WriteResult put(byte[] key, byte[] value) {
        return put(write(key, value));
    }

    private WriteResult put(WriteRequest req) {
        return call(
                (n, t) -> n.kvBlocking()
                        .withDeadlineAfter(t, TimeUnit.NANOSECONDS)
                        .put(req),
                WriteResult::of,
                code -> null);
    }

    public WriteResult put(String key, String value) {
        return put(utf8(key), utf8(value));
    }

    // ---- expiring keys (docs/expiry.md): deadlines are set by the primary's clock ----

    /** Stores a key that expires ttl from now (at least 1 ms). */
    public WriteResult put(byte[] key, byte[] value, Duration ttl) {
        WriteRequest req =
                write(key, value).toBuilder().setTtlMs(positiveMillis(ttl)).build();
        return put(req);
    }

    /** Inserts a key (only if absent) that expires ttl from now: OK, or ALREADY_EXISTS. */
    public WriteResult insert(byte[] key, byte[] value, Duration ttl) {
        WriteRequest req =
                write(key, value).toBuilder().setTtlMs(positiveMillis(ttl)).build();
        return insert(req);
    }

    /** Replaces a present key's value, the key then expiring ttl from now: OK, or NOT_FOUND. */
    public WriteResult update(byte[] key, byte[] value, Duration ttl) {
        WriteRequest req =
                write(key, value).toBuilder().setTtlMs(positiveMillis(ttl)).build();
        return update(req);
    }

    /**
     * Makes a present key expire ttl from now (zero or negative deletes it); true when the key
     * was there.
     */
    public boolean expire(byte[] key, Duration ttl) {
        ExpireRequest req = ExpireRequest.newBuilder()
                .setKey(ByteString.copyFrom(key))
                .setTtlMs(ttl.isNegative() || ttl.isZero() ? -1 : ttl.toMillis() == 0 ? 1 : ttl.toMillis())
                .build();
        return expire(req);
    }

    /** Clears a key's deadline; true when it had one. */
    public boolean persist(byte[] key) {
        ExpireRequest req = ExpireRequest.newBuilder()
                .setKey(ByteString.copyFrom(key))
                .setPersist(true)
                .build();
        return expire(req);
    }

    /** The Expire RPC, which both sets and clears deadlines: true when it changed the key. */
    private boolean expire(ExpireRequest req) {
        return call(
                (n, t) -> n.kvBlocking()
                        .withDeadlineAfter(t, TimeUnit.NANOSECONDS)
                        .expire(req),
                ExpireResponse::getChanged,
                code -> null);
    }

    /**
     * A key's time to live in milliseconds, as Redis's PTTL: -2 when the key is absent (or
     * expired), -1 when it has no deadline.
     */
    public long ttlMillis(byte[] key) {
        TtlRequest req = TtlRequest.newBuilder()
                .setKey(ByteString.copyFrom(key))
                .setAllowStale(options.allowStale())
                .build();
        return read(
                (n, t) -> n.kvBlocking()
                        .withDeadlineAfter(t, TimeUnit.NANOSECONDS)
                        .ttl(req),
                TtlResponse::getTtlMs,
                code -> code == Status.Code.NOT_FOUND ? -2L : null);
    }

    private static long positiveMillis(Duration ttl) {
        if (ttl.isNegative() || ttl.isZero()) {
            throw new IllegalArgumentException("a ttl must be positive, was " + ttl);
        }
        return Math.max(1, ttl.toMillis());
    }

    /** Removes a key: OK, or NOT_FOUND. */
    public WriteResult delete(byte[] key) {
        DeleteRequest req = DeleteRequest.newBuilder()
                .setKey(ByteString.copyFrom(key))
                .setTag(tags.next())
                .build();
        return call(
                (n, t) -> n.kvBlocking()
                        .withDeadlineAfter(t, TimeUnit.NANOSECONDS)
                        .delete(req),
                WriteResult::of,
                code -> code == Status.Code.NOT_FOUND ? WriteResult.NOT_FOUND : null);
    }

    public WriteResult delete(String key) {
        return delete(utf8(key));
    }

    /**
     * Applies batch all or nothing, as one record (docs/batches.md), retried like any write under
     * one tag: OK, or ALREADY_EXISTS / NOT_FOUND when an insert or update condition refused it
     * (nothing applied). Throws {@link PbkvException} INVALID_ARGUMENT past the server's
     * limits.max-batch-ops or limits.max-batch-bytes, and like other writes when the outcome is unknown.
     */
    public BatchResult batch(WriteBatch batch) {
        BatchRequest req = BatchRequest.newBuilder()
                .addAllOperations(batch.operations())
                .setTag(tags.next())
                .build();
        return call(
                (n, t) -> n.kvBlocking()
                        .withDeadlineAfter(t, TimeUnit.NANOSECONDS)
                        .batch(req),
                BatchResult::of,
                code -> code == Status.Code.NOT_FOUND
                        ? BatchResult.NOT_FOUND
                        : code == Status.Code.ALREADY_EXISTS ? BatchResult.ALREADY_EXISTS : null);
    }

    /** Removes a key and answers the value it removed (read in the same step), or empty when it was absent. */
    public Optional<byte[]> take(byte[] key) {
        DeleteRequest req = DeleteRequest.newBuilder()
                .setKey(ByteString.copyFrom(key))
                .setTag(tags.next())
                .setReturnPrevious(true)
                .build();
        return call(
                (n, t) -> n.kvBlocking()
                        .withDeadlineAfter(t, TimeUnit.NANOSECONDS)
                        .delete(req),
                r -> Optional.of(r.getPreviousValue().toByteArray()),
                code -> code == Status.Code.NOT_FOUND ? Optional.<byte[]>empty() : null);
    }

    /**
     * Asks the primary to write a backup: its contents at exactly one offset, to the file
     * {@code name} in its backup directory on its own disk (empty or null: a name of the form
     * backup-&lt;offset&gt;-&lt;utc time&gt;.pbkb). Found and retried as a write is (a retry after an
     * unanswered attempt may write a second file). {@link PbkvException} with RESOURCE_EXHAUSTED
     * when the node runs backup.max-concurrent backups already, ALREADY_EXISTS when the name is
     * taken, INVALID_ARGUMENT for a name with a path in it, PERMISSION_DENIED without admin access.
     */
    public BackupResult backup(String name) {
        BackupRequest req =
                BackupRequest.newBuilder().setName(name == null ? "" : name).build();
        long deadline = Math.max(options.callTimeout().toNanos(), BACKUP_DEADLINE.toNanos());
        return call(
                (n, t) -> n.adminBlocking()
                        .withDeadlineAfter(deadline, TimeUnit.NANOSECONDS)
                        .backup(req),
                r -> new BackupResult(r.getPath(), r.getOffset(), r.getKeys(), r.getBytes()),
                code -> null);
    }

    // ---- administration: each call goes to the one node named, once, without failover ----

    /** The status of one node. {@link PbkvUnavailableException} when it does not answer. */
    public StatusResponse status(Endpoint endpoint) {
        return admin(
                endpoint,
                (n, t) -> n.adminBlocking()
                        .withDeadlineAfter(t, TimeUnit.NANOSECONDS)
                        .status(StatusRequest.getDefaultInstance()));
    }

    /** The node that says it is primary now, if any answers so. */
    public Optional<Endpoint> findPrimary() {
        for (Endpoint e : endpoints()) {
            try {
                if (status(e).getRole() == Role.PRIMARY) {
                    return Optional.of(e);
                }
            } catch (PbkvException ignored) {
                // an unreachable node is simply not the primary
            }
        }
        return Optional.empty();
    }

    /**
     * Asks a backup whose primary is gone to become primary. A refusal (the primary is alive and
     * reachable, or the node is primary already) is a result, not an exception.
     */
    public PromoteResult promote(Endpoint endpoint) {
        return promote(endpoint, false);
    }

    /**
     * As {@link #promote(Endpoint)}; with force, a node without a coordinator is promoted even
     * when its primary did not answer (it may be alive behind a partition) or its peer holds a
     * newer history: what that primary acknowledged may then be lost.
     */
    public PromoteResult promote(Endpoint endpoint, boolean force) {
        try {
            long epoch = admin(
                            endpoint,
                            (n, t) -> n.adminBlocking()
                                    .withDeadlineAfter(t, TimeUnit.NANOSECONDS)
                                    .promote(PromoteRequest.newBuilder()
                                            .setForce(force)
                                            .build()))
                    .getEpoch();
            return PromoteResult.promoted(epoch);
        } catch (PbkvException e) {
            if (e.code() == Status.Code.FAILED_PRECONDITION) {
                return PromoteResult.refused(e.getMessage());
            }
            throw e;
        }
    }

    /**
     * Stops one node gracefully; an in-sync primary first hands its role to the backup unless
     * {@code skipSwitchover}. Returns whether a switchover happened.
     */
    public boolean shutdown(Endpoint endpoint, boolean skipSwitchover) {
        ShutdownRequest req =
                ShutdownRequest.newBuilder().setSkipSwitchover(skipSwitchover).build();
        return admin(
                        endpoint,
                        (n, t) -> n.adminBlocking()
                                .withDeadlineAfter(t, TimeUnit.NANOSECONDS)
                                .shutdown(req))
                .getSwitchedOver();
    }

    /** The nodes this client knows: those it was built with, then any learned from hints. */
    public List<Endpoint> endpoints() {
        return nodes.endpoints();
    }

    /** The random id that tags this client's writes. */
    public long clientId() {
        return tags.clientId();
    }

    /** Whether close() has finished shutting down every channel. */
    public boolean isTerminated() {
        return nodes.isTerminated();
    }

    /** Closes every channel; calls in flight are given a few seconds to finish. */
    @Override
    public void close() {
        nodes.close();
    }

    // ---- the call machinery ----

    private WriteRequest write(byte[] key, byte[] value) {
        return WriteRequest.newBuilder()
                .setKey(ByteString.copyFrom(key))
                .setValue(ByteString.copyFrom(value))
                .setTag(tags.next())
                .build();
    }

    /**
     * Runs one logical call with retries. {@code answer} turns the status codes that are an
     * answer of the store (NOT_FOUND, ALREADY_EXISTS) into a result; null means "not an answer".
     */
    private <R, T> T call(
            BiFunction<NodeChannels.Node, Long, R> rpc, Function<R, T> onOk, Function<Status.Code, T> answer) {
        return run(failover.begin(), rpc, onOk, answer);
    }

    /** Like {@link #call}, for a read, which a backup may answer when stale reads are allowed. */
    private <R, T> T read(
            BiFunction<NodeChannels.Node, Long, R> rpc, Function<R, T> onOk, Function<Status.Code, T> answer) {
        return run(options.allowStale() ? failover.beginStaleRead() : failover.begin(), rpc, onOk, answer);
    }

    private <R, T> T run(
            Failover.Attempts attempts,
            BiFunction<NodeChannels.Node, Long, R> rpc,
            Function<R, T> onOk,
            Function<Status.Code, T> answer) {
        while (true) {
            NodeChannels.Node node = attempts.node();
            if (attempts.isRetry()) {
                node.wakeIfFailed();
            }
            try {
                R response = rpc.apply(node, attempts.attemptTimeoutNanos());
                attempts.succeeded();
                return onOk.apply(response);
            } catch (StatusRuntimeException e) {
                T answered = answer.apply(e.getStatus().getCode());
                if (answered != null) {
                    attempts.succeeded();
                    return answered;
                }
                long delay = attempts.onFailure(e);
                if (delay > 0) {
                    sleep(delay);
                }
            }
        }
    }

    private <R> R admin(Endpoint endpoint, BiFunction<NodeChannels.Node, Long, R> rpc) {
        NodeChannels.Node node = nodes.nodeFor(endpoint);
        if (node == null) {
            throw new IllegalStateException("client closed or too many nodes; cannot reach " + endpoint);
        }
        node.wakeIfFailed();
        try {
            return rpc.apply(node, options.callTimeout().toNanos());
        } catch (StatusRuntimeException e) {
            Status.Code code = e.getStatus().getCode();
            if (code == Status.Code.UNAVAILABLE || code == Status.Code.DEADLINE_EXCEEDED) {
                throw new PbkvUnavailableException(
                        endpoint + " is unavailable: " + Failover.describe(e.getStatus()), e);
            }
            throw Failover.failed(endpoint, e);
        }
    }

    private static void sleep(long nanos) {
        try {
            TimeUnit.NANOSECONDS.sleep(nanos);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new PbkvException(Status.Code.CANCELLED, "interrupted while waiting to retry", e);
        }
    }

    static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    /** Scan results fetched page by page as they are read. */
    private final class ScanPages implements Iterator<KvEntry> {
        private final ByteString prefix;
        private long remaining; // entries still wanted; Long.MAX_VALUE for "all"
        private ByteString startAfter = ByteString.EMPTY;
        private List<KvEntry> page = Collections.emptyList();
        private int index;
        private boolean lastPage;

        ScanPages(ByteString prefix, long limit) {
            this.prefix = prefix;
            this.remaining = limit == 0 ? Long.MAX_VALUE : limit;
        }

        @Override
        public boolean hasNext() {
            while (index == page.size()) {
                if (lastPage || remaining == 0) {
                    return false;
                }
                fetch();
            }
            return true;
        }

        @Override
        public KvEntry next() {
            if (!hasNext()) {
                throw new NoSuchElementException();
            }
            remaining--;
            return page.get(index++);
        }

        private void fetch() {
            int want = (int) Math.min(SCAN_PAGE, remaining);
            ScanRequest req = ScanRequest.newBuilder()
                    .setPrefix(prefix)
                    .setStartAfter(startAfter)
                    .setLimit(want)
                    .setAllowStale(options.allowStale())
                    .build();
            List<KvEntry> entries = read(
                    (n, t) -> {
                        List<KvEntry> got = new ArrayList<>(want);
                        Iterator<ScanResponse> it = n.kvBlocking()
                                .withDeadlineAfter(t, TimeUnit.NANOSECONDS)
                                .scan(req);
                        while (it.hasNext()) {
                            it.next().getEntriesList().forEach(e -> got.add(KvEntry.of(e)));
                        }
                        return got;
                    },
                    r -> r,
                    code -> null);
            if (entries.size() < want) {
                lastPage = true;
            }
            if (!entries.isEmpty()) {
                startAfter = ByteString.copyFrom(entries.get(entries.size() - 1).key());
            }
            page = entries.size() > want ? entries.subList(0, want) : entries;
            index = 0;
        }
    }
}
