package dev.pbkv.server.resp;

import dev.pbkv.server.command.BatchAck;
import dev.pbkv.server.command.BatchStep;
import dev.pbkv.server.command.Commands;
import dev.pbkv.server.command.ErrorCode;
import dev.pbkv.server.command.KeyValue;
import dev.pbkv.server.command.NodeStatus;
import dev.pbkv.server.command.Reply;
import dev.pbkv.server.command.WriteAck;
import dev.pbkv.server.command.WriteTag;
import dev.pbkv.server.role.NodeState;
import dev.pbkv.server.role.Role;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;

/**
 * A command layer for door tests: a map in memory with the real layer's contract (results as
 * {@link Reply}, NOT_FOUND / ALREADY_EXISTS semantics, key and value limits), plus switches a
 * test flips: act as a backup that refuses writes naming the primary, complete writes late and
 * out of order (to prove the doors keep request order), or fail one key with a chosen code.
 */
public final class InMemoryCommands implements Commands, AutoCloseable {

    public static final String PRIMARY_ADDRESS = "127.0.0.1:7001";
    public static final int MAX_KEY_BYTES = 1024;
    public static final int MAX_VALUE_BYTES = 1024 * 1024;

    /** Keys as ISO-8859-1 strings (a lossless byte mapping), sorted for scans and dumps. */
    private final ConcurrentSkipListMap<String, byte[]> data = new ConcurrentSkipListMap<>();

    private final Map<String, ErrorCode> forcedFailures = new ConcurrentHashMap<>();
    private final AtomicLong offset = new AtomicLong();
    private final AtomicInteger shutdownCalls = new AtomicInteger();
    private final ScheduledExecutorService lateCompleter = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "fake-commands-late");
        t.setDaemon(true);
        return t;
    });
    /** Written by tests, read by the doors' threads. */
    private volatile boolean backup;

    private volatile boolean lateWrites;
    private volatile long maxKeys = Long.MAX_VALUE;
    private volatile NodeState state = NodeState.SYNC;

    public InMemoryCommands actAsBackup(boolean backup) {
        this.backup = backup;
        return this;
    }

    /** Writes apply at once but their futures complete 0-2 ms later, on another thread, in any order. */
    public InMemoryCommands completeWritesLate(boolean late) {
        this.lateWrites = late;
        return this;
    }

    public InMemoryCommands failKey(String key, ErrorCode code) {
        forcedFailures.put(key, code);
        return this;
    }

    public InMemoryCommands maxKeys(long maxKeys) {
        this.maxKeys = maxKeys;
        return this;
    }

    public InMemoryCommands state(NodeState state) {
        this.state = state;
        return this;
    }

    public int shutdownCalls() {
        return shutdownCalls.get();
    }

    public byte[] peek(String key) {
        return data.get(key);
    }

    @Override
    public CompletableFuture<Reply<byte[]>> get(byte[] key, boolean allowStale) {
        Reply<byte[]> check = checkRead(key, allowStale);
        if (check != null) {
            return CompletableFuture.completedFuture(check);
        }
        byte[] value = data.get(k(key));
        return CompletableFuture.completedFuture(
                value == null ? Reply.failure(ErrorCode.NOT_FOUND, "key not found") : Reply.success(value));
    }

    @Override
    public CompletableFuture<Reply<WriteAck>> insert(byte[] key, byte[] value, WriteTag tag) {
        return write(
                key,
                value,
                () -> data.putIfAbsent(k(key), value) == null
                        ? ack(true)
                        : Reply.failure(ErrorCode.ALREADY_EXISTS, "key exists"));
    }

    @Override
    public CompletableFuture<Reply<WriteAck>> update(byte[] key, byte[] value, WriteTag tag) {
        return write(
                key,
                value,
                () -> data.replace(k(key), value) != null
                        ? ack(false)
                        : Reply.failure(ErrorCode.NOT_FOUND, "key not found"));
    }

    @Override
    public CompletableFuture<Reply<WriteAck>> put(byte[] key, byte[] value, WriteTag tag) {
        return write(key, value, () -> ack(data.put(k(key), value) == null));
    }

    @Override
    public CompletableFuture<Reply<WriteAck>> delete(byte[] key, WriteTag tag) {
        return write(
                key,
                new byte[0],
                () -> data.remove(k(key)) != null ? ack(false) : Reply.failure(ErrorCode.NOT_FOUND, "key not found"));
    }

    /** Batches apply under the map's lock: all or nothing, as the real layer does. */
    @Override
    public synchronized CompletableFuture<Reply<BatchAck>> batch(List<BatchStep> steps, WriteTag tag) {
        if (backup) {
            return CompletableFuture.completedFuture(
                    new Reply.Failure<>(ErrorCode.UNAVAILABLE, "this node is a backup", PRIMARY_ADDRESS));
        }
        for (BatchStep s : steps) {
            ErrorCode forced = forcedFailures.get(k(s.key()));
            if (forced != null) {
                return CompletableFuture.completedFuture(new Reply.Failure<>(forced, "forced " + forced));
            }
        }
        if (state != NodeState.SYNC && state != NodeState.BOOTSTRAP) {
            return CompletableFuture.completedFuture(Reply.failure(ErrorCode.UNAVAILABLE, "node is " + state));
        }
        Map<String, byte[]> overlay = new java.util.HashMap<>();
        List<byte[]> before = new ArrayList<>();
        for (int i = 0; i < steps.size(); i++) {
            BatchStep s = steps.get(i);
            String key = k(s.key());
            byte[] current = overlay.containsKey(key) ? overlay.get(key) : data.get(key);
            before.add(current);
            switch (s.kind()) {
                case INSERT -> {
                    if (current != null) {
                        return CompletableFuture.completedFuture(Reply.failure(ErrorCode.ALREADY_EXISTS, "key exists"));
                    }
                    overlay.put(key, s.value());
                }
                case UPDATE -> {
                    if (current == null) {
                        return CompletableFuture.completedFuture(Reply.failure(ErrorCode.NOT_FOUND, "key not found"));
                    }
                    overlay.put(key, s.value());
                }
                case PUT -> overlay.put(key, s.value());
                case DELETE -> overlay.put(key, null);
                case GET -> overlay.put(key, current);
            }
        }
        overlay.forEach((key, value) -> {
            if (value == null) {
                data.remove(key);
            } else {
                data.put(key, value);
            }
        });
        return CompletableFuture.completedFuture(Reply.success(new BatchAck(offset.incrementAndGet(), before)));
    }

    @Override
    public synchronized CompletableFuture<Reply<List<byte[]>>> getMany(List<byte[]> keys, boolean allowStale) {
        Reply<List<byte[]>> check = checkRead(new byte[] {'x'}, allowStale);
        if (check != null) {
            return CompletableFuture.completedFuture(check);
        }
        List<byte[]> values = new ArrayList<>();
        for (byte[] key : keys) {
            Reply<List<byte[]>> bad = checkRead(key, allowStale);
            if (bad != null) {
                return CompletableFuture.completedFuture(bad);
            }
            values.add(data.get(k(key)));
        }
        return CompletableFuture.completedFuture(Reply.success(values));
    }

    @Override
    public CompletableFuture<Reply<Boolean>> exists(byte[] key, boolean allowStale) {
        Reply<Boolean> check = checkRead(key, allowStale);
        return CompletableFuture.completedFuture(check != null ? check : Reply.success(data.containsKey(k(key))));
    }

    @Override
    public CompletableFuture<Reply<Long>> count(boolean allowStale) {
        Reply<Long> check = checkRead(new byte[] {'x'}, allowStale);
        return CompletableFuture.completedFuture(check != null ? check : Reply.success((long) data.size()));
    }

    @Override
    public CompletableFuture<Reply<List<KeyValue>>> scan(
            byte[] prefix, byte[] startAfter, int limit, boolean allowStale) {
        List<KeyValue> page = new ArrayList<>();
        String p = k(prefix);
        for (Map.Entry<String, byte[]> e : data.tailMap(k(startAfter), false).entrySet()) {
            if (e.getKey().startsWith(p) && (limit == 0 || page.size() < limit)) {
                page.add(new KeyValue(e.getKey().getBytes(StandardCharsets.ISO_8859_1), e.getValue()));
            }
        }
        return CompletableFuture.completedFuture(Reply.success(page));
    }

    @Override
    public CompletableFuture<Reply<Void>> dump(boolean allowStale, Consumer<List<KeyValue>> pageSink) {
        Reply<Void> check = checkRead(new byte[] {'x'}, allowStale);
        if (check != null) {
            return CompletableFuture.completedFuture(check);
        }
        return CompletableFuture.supplyAsync(
                () -> {
                    List<KeyValue> page = new ArrayList<>();
                    for (Map.Entry<String, byte[]> e : data.entrySet()) {
                        page.add(new KeyValue(e.getKey().getBytes(StandardCharsets.ISO_8859_1), e.getValue()));
                        if (page.size() == 3) {
                            pageSink.accept(page);
                            page = new ArrayList<>();
                        }
                    }
                    if (!page.isEmpty()) {
                        pageSink.accept(page);
                    }
                    return Reply.success(null);
                },
                lateCompleter);
    }

    @Override
    public NodeStatus status() {
        boolean b = backup;
        return new NodeStatus(
                "fake-" + (b ? "backup" : "primary"),
                b ? Role.BACKUP : Role.PRIMARY,
                b ? Role.BACKUP : Role.PRIMARY,
                state,
                3,
                offset.get(),
                offset.get(),
                offset.get(),
                Math.max(0, offset.get() - 2),
                b ? PRIMARY_ADDRESS : "127.0.0.1:7002",
                true,
                data.size(),
                0,
                0,
                data.size() * 64L,
                256L * 1024 * 1024,
                "127.0.0.1:7001",
                "127.0.0.1:7379",
                "127.0.0.1:8001",
                b ? PRIMARY_ADDRESS : null,
                5_000,
                dev.pbkv.server.coordinator.CoordinatorStatus.OFF);
    }

    @Override
    public CompletableFuture<Reply<Long>> promote(boolean force) {
        backup = false;
        return CompletableFuture.completedFuture(Reply.success(4L));
    }

    @Override
    public CompletableFuture<Reply<Boolean>> shutdown(boolean skipSwitchover) {
        shutdownCalls.incrementAndGet();
        return CompletableFuture.completedFuture(Reply.success(false));
    }

    @Override
    public void close() {
        lateCompleter.shutdownNow();
    }

    private <T> Reply<T> checkRead(byte[] key, boolean allowStale) {
        if (key.length == 0) {
            return Reply.failure(ErrorCode.INVALID_ARGUMENT, "key must not be empty");
        }
        ErrorCode forced = forcedFailures.get(k(key));
        if (forced != null) {
            return new Reply.Failure<>(
                    forced, "forced " + forced, forced == ErrorCode.UNAVAILABLE ? PRIMARY_ADDRESS : null);
        }
        if (backup && !allowStale) {
            return new Reply.Failure<>(ErrorCode.UNAVAILABLE, "this node is the backup", PRIMARY_ADDRESS);
        }
        return null;
    }

    private CompletableFuture<Reply<WriteAck>> write(
            byte[] key, byte[] value, java.util.function.Supplier<Reply<WriteAck>> apply) {
        Reply<WriteAck> refused = refuseWrite(key, value);
        if (refused != null) {
            return CompletableFuture.completedFuture(refused);
        }
        Reply<WriteAck> result = apply.get();
        if (!lateWrites) {
            return CompletableFuture.completedFuture(result);
        }
        CompletableFuture<Reply<WriteAck>> future = new CompletableFuture<>();
        lateCompleter.schedule(
                () -> future.complete(result), ThreadLocalRandom.current().nextInt(0, 2000), TimeUnit.MICROSECONDS);
        return future;
    }

    private Reply<WriteAck> refuseWrite(byte[] key, byte[] value) {
        if (key.length == 0) {
            return Reply.failure(ErrorCode.INVALID_ARGUMENT, "key must not be empty");
        }
        if (key.length > MAX_KEY_BYTES) {
            return Reply.failure(
                    ErrorCode.INVALID_ARGUMENT,
                    "key is " + key.length + " bytes, over the limit of " + MAX_KEY_BYTES + " (limits.max-key-bytes)");
        }
        if (value.length > MAX_VALUE_BYTES) {
            return Reply.failure(
                    ErrorCode.INVALID_ARGUMENT,
                    "value is " + value.length + " bytes, over the limit of " + MAX_VALUE_BYTES
                            + " (limits.max-value-bytes)");
        }
        ErrorCode forced = forcedFailures.get(k(key));
        if (forced != null) {
            return new Reply.Failure<>(
                    forced, "forced " + forced, forced == ErrorCode.UNAVAILABLE ? PRIMARY_ADDRESS : null);
        }
        if (backup) {
            return new Reply.Failure<>(ErrorCode.UNAVAILABLE, "this node is the backup", PRIMARY_ADDRESS);
        }
        if (state != NodeState.SYNC && state != NodeState.BOOTSTRAP) {
            return Reply.failure(ErrorCode.UNAVAILABLE, "node is " + state);
        }
        if (data.size() >= maxKeys && !data.containsKey(k(key))) {
            return Reply.failure(ErrorCode.RESOURCE_EXHAUSTED, "out of memory: the store's arena is full");
        }
        return null;
    }

    private Reply<WriteAck> ack(boolean created) {
        return Reply.success(new WriteAck(offset.incrementAndGet(), created));
    }

    private static String k(byte[] key) {
        return new String(key, StandardCharsets.ISO_8859_1);
    }
}
