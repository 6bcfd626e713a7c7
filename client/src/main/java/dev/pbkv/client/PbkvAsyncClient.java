package dev.pbkv.client;

import com.google.protobuf.ByteString;
import dev.pbkv.proto.CountRequest;
import dev.pbkv.proto.CountResponse;
import dev.pbkv.proto.DeleteRequest;
import dev.pbkv.proto.ExistsRequest;
import dev.pbkv.proto.ExistsResponse;
import dev.pbkv.proto.GetRequest;
import dev.pbkv.proto.GetResponse;
import dev.pbkv.proto.ScanRequest;
import dev.pbkv.proto.ScanResponse;
import dev.pbkv.proto.StatusRequest;
import dev.pbkv.proto.StatusResponse;
import dev.pbkv.proto.WriteRequest;
import dev.pbkv.proto.WriteTag;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.StreamObserver;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;

/**
 * The asynchronous pbkv client: every call returns a {@link CompletableFuture} at once, so one
 * thread can keep many requests in flight (pipelining). Same failover, retry and write-tag rules
 * as {@link PbkvClient}; the futures complete exceptionally with {@link PbkvException} or
 * {@link PbkvUnavailableException}. Thread-safe.
 *
 * <p>Futures complete on the builder's callback executor (gRPC's pool by default); retries wait
 * on this client's one timer thread, "pbkv-client-retry-<client id in hex>".
 */
public final class PbkvAsyncClient implements AutoCloseable {

    private final ClientOptions options;
    private final NodeChannels nodes;
    private final Failover failover;
    private final WriteTags tags = new WriteTags();
    private final ScheduledThreadPoolExecutor retryTimer;

    PbkvAsyncClient(ClientOptions options) {
        this.options = options;
        this.nodes = new NodeChannels(options);
        this.failover = new Failover(nodes, options);
        String name = "pbkv-client-retry-" + Long.toHexString(tags.clientId());
        this.retryTimer = new ScheduledThreadPoolExecutor(1, r -> {
            Thread t = new Thread(r, name);
            t.setDaemon(true);
            return t;
        });
        retryTimer.setRemoveOnCancelPolicy(true);
    }

    /** The value of a key, or empty when the key is absent. */
    public CompletableFuture<Optional<byte[]>> get(byte[] key) {
        GetRequest req = GetRequest.newBuilder()
                .setKey(ByteString.copyFrom(key))
                .setAllowStale(options.allowStale())
                .build();
        return read(
                (n, t, o) -> n.kv().withDeadlineAfter(t, TimeUnit.NANOSECONDS).get(req, o),
                (GetResponse r) -> Optional.of(r.getValue().toByteArray()),
                code -> code == Status.Code.NOT_FOUND ? Optional.empty() : null);
    }

    public CompletableFuture<Optional<String>> get(String key) {
        return get(PbkvClient.utf8(key)).thenApply(v -> v.map(b -> new String(b, StandardCharsets.UTF_8)));
    }

    public CompletableFuture<Boolean> exists(byte[] key) {
        ExistsRequest req = ExistsRequest.newBuilder()
                .setKey(ByteString.copyFrom(key))
                .setAllowStale(options.allowStale())
                .build();
        return read(
                (n, t, o) -> n.kv().withDeadlineAfter(t, TimeUnit.NANOSECONDS).exists(req, o),
                (ExistsResponse r) -> r.getExists(),
                code -> null);
    }

    public CompletableFuture<Boolean> exists(String key) {
        return exists(PbkvClient.utf8(key));
    }

    public CompletableFuture<Long> count() {
        CountRequest req =
                CountRequest.newBuilder().setAllowStale(options.allowStale()).build();
        return read(
                (n, t, o) -> n.kv().withDeadlineAfter(t, TimeUnit.NANOSECONDS).count(req, o),
                (CountResponse r) -> r.getCount(),
                code -> null);
    }

    /**
     * One page of a scan: at most {@code limit} entries (1..node maximum) whose key starts with
     * {@code prefix} and sorts after {@code startAfter} (empty: from the first). Fewer than
     * {@code limit} entries means the scan is complete.
     */
    public CompletableFuture<List<KvEntry>> scanPage(byte[] prefix, byte[] startAfter, int limit) {
        ScanRequest req = ScanRequest.newBuilder()
                .setPrefix(ByteString.copyFrom(prefix))
                .setStartAfter(ByteString.copyFrom(startAfter))
                .setLimit(limit)
                .setAllowStale(options.allowStale())
                .build();
        return this.<ScanResponse, List<KvEntry>>read(
                (n, t, o) -> n.kv().withDeadlineAfter(t, TimeUnit.NANOSECONDS).scan(req, o),
                r -> {
                    List<KvEntry> out = new ArrayList<>(r.getEntriesCount());
                    r.getEntriesList().forEach(e -> out.add(KvEntry.of(e)));
                    return out;
                },
                code -> null,
                (a, b) -> a.toBuilder().addAllEntries(b.getEntriesList()).build(),
                ScanResponse.getDefaultInstance());
    }

    public CompletableFuture<WriteResult> insert(byte[] key, byte[] value) {
        WriteRequest req = write(key, value);
        return call(
                (n, t, o) -> n.kv().withDeadlineAfter(t, TimeUnit.NANOSECONDS).insert(req, o),
                WriteResult::of,
                code -> code == Status.Code.ALREADY_EXISTS ? WriteResult.ALREADY_EXISTS : null);
    }

    public CompletableFuture<WriteResult> insert(String key, String value) {
        return insert(PbkvClient.utf8(key), PbkvClient.utf8(value));
    }

    public CompletableFuture<WriteResult> update(byte[] key, byte[] value) {
        WriteRequest req = write(key, value);
        return call(
                (n, t, o) -> n.kv().withDeadlineAfter(t, TimeUnit.NANOSECONDS).update(req, o),
                WriteResult::of,
                code -> code == Status.Code.NOT_FOUND ? WriteResult.NOT_FOUND : null);
    }

    public CompletableFuture<WriteResult> update(String key, String value) {
        return update(PbkvClient.utf8(key), PbkvClient.utf8(value));
    }

    public CompletableFuture<WriteResult> put(byte[] key, byte[] value) {
        WriteRequest req = write(key, value);
        return call(
                (n, t, o) -> n.kv().withDeadlineAfter(t, TimeUnit.NANOSECONDS).put(req, o),
                WriteResult::of,
                code -> null);
    }

    public CompletableFuture<WriteResult> put(String key, String value) {
        return put(PbkvClient.utf8(key), PbkvClient.utf8(value));
    }

    public CompletableFuture<WriteResult> delete(byte[] key) {
        DeleteRequest req = DeleteRequest.newBuilder()
                .setKey(ByteString.copyFrom(key))
                .setTag(tags.next())
                .build();
        return call(
                (n, t, o) -> n.kv().withDeadlineAfter(t, TimeUnit.NANOSECONDS).delete(req, o),
                WriteResult::of,
                code -> code == Status.Code.NOT_FOUND ? WriteResult.NOT_FOUND : null);
    }

    public CompletableFuture<WriteResult> delete(String key) {
        return delete(PbkvClient.utf8(key));
    }

    /** The status of one node, one attempt, no failover. */
    public CompletableFuture<StatusResponse> status(Endpoint endpoint) {
        CompletableFuture<StatusResponse> result = new CompletableFuture<>();
        NodeChannels.Node node = nodes.nodeFor(endpoint);
        if (node == null) {
            result.completeExceptionally(
                    new IllegalStateException("client closed or too many nodes; cannot reach " + endpoint));
            return result;
        }
        node.wakeIfFailed();
        node.admin()
                .withDeadlineAfter(options.callTimeout().toNanos(), TimeUnit.NANOSECONDS)
                .status(StatusRequest.getDefaultInstance(), new StreamObserver<>() {
                    @Override
                    public void onNext(StatusResponse value) {
                        result.complete(value);
                    }

                    @Override
                    public void onError(Throwable t) {
                        Status s = Status.fromThrowable(t);
                        result.completeExceptionally(
                                s.getCode() == Status.Code.UNAVAILABLE || s.getCode() == Status.Code.DEADLINE_EXCEEDED
                                        ? new PbkvUnavailableException(
                                                endpoint + " is unavailable: " + Failover.describe(s), t)
                                        : Failover.failed(endpoint, new StatusRuntimeException(s)));
                    }

                    @Override
                    public void onCompleted() {}
                });
        return result;
    }

    public List<Endpoint> endpoints() {
        return nodes.endpoints();
    }

    public long clientId() {
        return tags.clientId();
    }

    public boolean isTerminated() {
        return nodes.isTerminated() && retryTimer.isTerminated();
    }

    /**
     * Closes every channel, then the retry timer. Calls waiting to retry still run their next
     * attempt, which fails at once on the closed channel, so every future completes: a call in
     * flight with its answer, a call between attempts with "the pbkv client is closed".
     */
    @Override
    public void close() {
        nodes.close();
        retryTimer.shutdown(); // delayed retries still run (the executor's default policy)
        try {
            if (!retryTimer.awaitTermination(5, TimeUnit.SECONDS)) {
                retryTimer.shutdownNow();
            }
        } catch (InterruptedException e) {
            retryTimer.shutdownNow();
            Thread.currentThread().interrupt();
        }
    }

    // ---- the call machinery ----

    /** Starts one attempt of an RPC on a node with a deadline, answering into the observer. */
    @FunctionalInterface
    private interface AsyncRpc<R> {
        void start(NodeChannels.Node node, long timeoutNanos, StreamObserver<R> observer);
    }

    /** How the responses of a server-streaming RPC add up; unary calls keep the one response. */
    @FunctionalInterface
    private interface Merge<R> {
        R merge(R soFar, R next);
    }

    private WriteRequest write(byte[] key, byte[] value) {
        WriteTag tag = tags.next();
        return WriteRequest.newBuilder()
                .setKey(ByteString.copyFrom(key))
                .setValue(ByteString.copyFrom(value))
                .setTag(tag)
                .build();
    }

    private <R, T> CompletableFuture<T> call(AsyncRpc<R> rpc, Function<R, T> onOk, Function<Status.Code, T> answer) {
        return start(failover.begin(), rpc, onOk, answer, null, null);
    }

    /** Like {@link #call}, for a read, which a backup may answer when stale reads are allowed. */
    private <R, T> CompletableFuture<T> read(AsyncRpc<R> rpc, Function<R, T> onOk, Function<Status.Code, T> answer) {
        return read(rpc, onOk, answer, null, null);
    }

    private <R, T> CompletableFuture<T> read(
            AsyncRpc<R> rpc, Function<R, T> onOk, Function<Status.Code, T> answer, Merge<R> merge, R empty) {
        return start(
                options.allowStale() ? failover.beginStaleRead() : failover.begin(), rpc, onOk, answer, merge, empty);
    }

    private <R, T> CompletableFuture<T> start(
            Failover.Attempts attempts,
            AsyncRpc<R> rpc,
            Function<R, T> onOk,
            Function<Status.Code, T> answer,
            Merge<R> merge,
            R empty) {
        CompletableFuture<T> result = new CompletableFuture<>();
        new Call<>(attempts, rpc, onOk, answer, merge, empty, result).attempt();
        return result;
    }

    /** One logical call: its attempts, one after the other. */
    private final class Call<R, T> {
        private final Failover.Attempts attempts;
        private final AsyncRpc<R> rpc;
        private final Function<R, T> onOk;
        private final Function<Status.Code, T> answer;
        private final Merge<R> merge;
        private final R empty;
        private final CompletableFuture<T> result;

        Call(
                Failover.Attempts attempts,
                AsyncRpc<R> rpc,
                Function<R, T> onOk,
                Function<Status.Code, T> answer,
                Merge<R> merge,
                R empty,
                CompletableFuture<T> result) {
            this.attempts = attempts;
            this.rpc = rpc;
            this.onOk = onOk;
            this.answer = answer;
            this.merge = merge;
            this.empty = empty;
            this.result = result;
        }

        void attempt() {
            NodeChannels.Node node = attempts.node();
            if (attempts.isRetry()) {
                node.wakeIfFailed();
            }
            try {
                rpc.start(node, attempts.attemptTimeoutNanos(), new Attempt());
            } catch (RuntimeException e) {
                result.completeExceptionally(e);
            }
        }

        /** The observer of one attempt; gRPC calls it serially. */
        private final class Attempt implements StreamObserver<R> {
            private R response = empty;

            @Override
            public void onNext(R value) {
                response = merge == null || response == null ? value : merge.merge(response, value);
            }

            @Override
            public void onError(Throwable t) {
                if (t instanceof StatusRuntimeException sre) {
                    T answered = answer.apply(sre.getStatus().getCode());
                    if (answered != null) {
                        attempts.succeeded();
                        result.complete(answered);
                        return;
                    }
                }
                long delay;
                try {
                    delay = attempts.onFailure(t);
                } catch (RuntimeException e) {
                    result.completeExceptionally(e);
                    return;
                }
                if (delay == 0) {
                    attempt();
                    return;
                }
                try {
                    retryTimer.schedule(Call.this::attempt, delay, TimeUnit.NANOSECONDS);
                } catch (RejectedExecutionException e) {
                    result.completeExceptionally(
                            new PbkvException(Status.Code.CANCELLED, "the pbkv client is closed", e));
                }
            }

            @Override
            public void onCompleted() {
                attempts.succeeded();
                try {
                    result.complete(onOk.apply(response));
                } catch (RuntimeException e) {
                    result.completeExceptionally(e);
                }
            }
        }
    }
}
