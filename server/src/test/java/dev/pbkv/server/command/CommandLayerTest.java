package dev.pbkv.server.command;

import static org.assertj.core.api.Assertions.assertThat;

import dev.pbkv.server.config.Settings;
import dev.pbkv.server.config.SettingsLoader;
import dev.pbkv.server.replication.Replicator;
import dev.pbkv.server.replication.SoloReplicator;
import dev.pbkv.server.role.NodeState;
import dev.pbkv.server.role.Role;
import dev.pbkv.store.Mutation;
import dev.pbkv.store.Store;
import dev.pbkv.store.StoreConfig;
import dev.pbkv.store.WriteOutcome;
import dev.pbkv.store.WriteResult;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.function.Function;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CommandLayerTest {
    @TempDir
    Path dir;

    Store store;
    CommandLayer commands;
    SoloReplicator replicator;
    final CompletableFuture<Boolean> shutdownAsked = new CompletableFuture<>();

    @BeforeEach
    void openPrimary() throws IOException {
        store = Store.open(StoreConfig.defaults(dir.resolve("store")));
        replicator = new SoloReplicator(store, Role.PRIMARY, () -> "127.0.0.1:7001");
        replicator.start();
        commands = new CommandLayer(store, replicator, settings(Role.PRIMARY), skip -> {
            shutdownAsked.complete(skip);
            return CompletableFuture.completedFuture(false);
        });
    }

    @AfterEach
    void close() throws IOException {
        commands.close();
        store.close();
    }

    private Settings settings(Role role) {
        return SettingsLoader.withDefaults()
                .set("limits.max-key-bytes", "8")
                .set("limits.max-value-bytes", "16")
                .set("limits.max-scan-limit", "50")
                .set("nodes.primary.data-dir", dir.resolve("p").toString())
                .set("nodes.backup.data-dir", dir.resolve("b").toString())
                .build(role);
    }

    static byte[] b(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    static <T> T ok(CompletableFuture<Reply<T>> f) {
        Reply<T> r = f.join();
        assertThat(r).isInstanceOf(Reply.Success.class);
        return ((Reply.Success<T>) r).value();
    }

    static <T> Reply.Failure<T> failed(CompletableFuture<Reply<T>> f, ErrorCode code) {
        Reply<T> r = f.join();
        assertThat(r).isInstanceOf(Reply.Failure.class);
        Reply.Failure<T> failure = (Reply.Failure<T>) r;
        assertThat(failure.code()).as(failure.message()).isEqualTo(code);
        return failure;
    }

    @Test
    void insertGetUpdatePutDeleteFollowTheirContracts() {
        WriteAck first = ok(commands.insert(b("a"), b("1"), WriteTag.NONE));
        assertThat(first.created()).isTrue();
        assertThat(first.offset()).isPositive();
        failed(commands.insert(b("a"), b("2"), WriteTag.NONE), ErrorCode.ALREADY_EXISTS);
        assertThat(ok(commands.get(b("a"), false))).isEqualTo(b("1"));

        WriteAck upd = ok(commands.update(b("a"), b("3"), WriteTag.NONE));
        assertThat(upd.created()).isFalse();
        assertThat(upd.offset()).isGreaterThan(first.offset());
        failed(commands.update(b("zz"), b("3"), WriteTag.NONE), ErrorCode.NOT_FOUND);

        assertThat(ok(commands.put(b("b"), b("x"), WriteTag.NONE)).created()).isTrue();
        assertThat(ok(commands.put(b("b"), b("y"), WriteTag.NONE)).created()).isFalse();
        assertThat(ok(commands.count(false))).isEqualTo(2L);
        assertThat(ok(commands.exists(b("b"), false))).isTrue();

        ok(commands.delete(b("b"), WriteTag.NONE));
        failed(commands.delete(b("b"), WriteTag.NONE), ErrorCode.NOT_FOUND);
        failed(commands.get(b("b"), false), ErrorCode.NOT_FOUND);
        assertThat(ok(commands.exists(b("b"), false))).isFalse();
        assertThat(ok(commands.count(false))).isEqualTo(1L);
    }

    @Test
    void emptyOrOversizedInputIsRefusedAndStoresNothing() {
        assertThat(failed(commands.put(b(""), b("v"), WriteTag.NONE), ErrorCode.INVALID_ARGUMENT)
                        .message())
                .contains("empty");
        assertThat(failed(commands.put(null, b("v"), WriteTag.NONE), ErrorCode.INVALID_ARGUMENT)
                        .message())
                .contains("empty");
        assertThat(failed(commands.put(b("123456789"), b("v"), WriteTag.NONE), ErrorCode.INVALID_ARGUMENT)
                        .message())
                .contains("limits.max-key-bytes = 8");
        assertThat(failed(commands.insert(b("k"), new byte[17], WriteTag.NONE), ErrorCode.INVALID_ARGUMENT)
                        .message())
                .contains("limits.max-value-bytes = 16");
        failed(commands.get(b(""), false), ErrorCode.INVALID_ARGUMENT);
        failed(commands.exists(new byte[9], false), ErrorCode.INVALID_ARGUMENT);
        failed(commands.delete(b(""), WriteTag.NONE), ErrorCode.INVALID_ARGUMENT);
        assertThat(ok(commands.count(false))).isZero();
        // The limits are inclusive.
        ok(commands.put(b("12345678"), new byte[16], WriteTag.NONE));
        assertThat(ok(commands.count(false))).isEqualTo(1L);
    }

    @Test
    void scanReturnsPrefixedKeysAfterStartInUnsignedOrderUpToTheLimit() {
        List<byte[]> keys = List.of(
                b("p1"), b("p2"), b("p10"), new byte[] {'p', (byte) 0xFF}, new byte[] {'p', 0x01}, b("q1"), b("o9"));
        for (byte[] k : keys) {
            ok(commands.put(k, k, WriteTag.NONE));
        }
        List<KeyValue> all = ok(commands.scan(b("p"), null, 0, false));
        assertThat(all)
                .extracting(kv -> new String(kv.key(), StandardCharsets.ISO_8859_1))
                .containsExactly("p\u0001", "p1", "p10", "p2", "p\u00FF");
        assertThat(all.get(0).value()).isEqualTo(new byte[] {'p', 0x01});

        List<KeyValue> page = ok(commands.scan(b("p"), b("p1"), 2, false));
        assertThat(page)
                .extracting(kv -> new String(kv.key(), StandardCharsets.ISO_8859_1))
                .containsExactly("p10", "p2");
        assertThat(ok(commands.scan(b(""), null, 50, false))).hasSize(keys.size());
        assertThat(ok(commands.scan(b("nothing"), null, 5, false))).isEmpty();
    }

    @Test
    void scanLimitZeroMeansTheDefaultAndAboveTheMaximumIsRefused() {
        for (int i = 0; i < 60; i++) {
            ok(commands.put(b(String.format("k%02d", i)), b("v"), WriteTag.NONE));
        }
        // Default page 1000, capped by this node's maximum of 50.
        assertThat(ok(commands.scan(null, null, 0, false))).hasSize(50);
        assertThat(failed(commands.scan(null, null, 51, false), ErrorCode.INVALID_ARGUMENT)
                        .message())
                .contains("limits.max-scan-limit = 50");
        failed(commands.scan(null, null, -1, false), ErrorCode.INVALID_ARGUMENT); // uint32 above 2^31 from gRPC
    }

    @Test
    void dumpStreamsEveryEntryInBoundedPages() {
        int n = 2500;
        for (int i = 0; i < n; i++) {
            ok(commands.put(b("k" + i), b("v" + i), WriteTag.NONE));
        }
        List<List<KeyValue>> pages = new ArrayList<>();
        ok(commands.dump(false, pages::add));
        assertThat(pages).allSatisfy(p -> assertThat(p).hasSizeBetween(1, CommandLayer.PAGE_MAX_ENTRIES));
        assertThat(pages.stream().mapToInt(List::size).sum()).isEqualTo(n);
        assertThat(pages.stream()
                        .flatMap(List::stream)
                        .map(kv -> new String(kv.key(), StandardCharsets.UTF_8))
                        .distinct())
                .hasSize(n);
    }

    @Test
    void backupWithoutReplicationRefusesWritesWithThePrimaryAddressAndServesStaleReads() throws IOException {
        SoloReplicator backup = new SoloReplicator(store, Role.BACKUP, () -> "127.0.0.11:7001");
        backup.start();
        try (CommandLayer onBackup = new CommandLayer(store, backup, settings(Role.BACKUP), skip -> null)) {
            ok(commands.put(b("k"), b("v"), WriteTag.NONE)); // written through the primary's layer
            Reply.Failure<WriteAck> f = failed(onBackup.put(b("k"), b("w"), WriteTag.NONE), ErrorCode.UNAVAILABLE);
            assertThat(f.primaryAddress()).isEqualTo("127.0.0.11:7001");
            assertThat(failed(onBackup.get(b("k"), false), ErrorCode.UNAVAILABLE)
                            .primaryAddress())
                    .isEqualTo("127.0.0.11:7001");
            assertThat(ok(onBackup.get(b("k"), true))).isEqualTo(b("v"));
            assertThat(ok(onBackup.count(true))).isEqualTo(1L);
            failed(onBackup.dump(false, p -> {}), ErrorCode.UNAVAILABLE);
            assertThat(onBackup.status().state()).isEqualTo(NodeState.COLD_START);
            assertThat(onBackup.status().role()).isEqualTo(Role.BACKUP);
            assertThat(failed(onBackup.promote(false), ErrorCode.FAILED_PRECONDITION)
                            .message())
                    .contains("not configured");
        }
    }

    @Test
    void primaryRefusesPromotion() {
        failed(commands.promote(false), ErrorCode.FAILED_PRECONDITION);
    }

    @Test
    void afterShutdownBeginsRequestsAreRefusedAndStatusSaysShuttingDown() {
        ok(commands.put(b("k"), b("v"), WriteTag.NONE));
        assertThat(commands.closeAndDrain()).isCompleted();
        assertThat(commands.status().state()).isEqualTo(NodeState.SHUTTING_DOWN);
        assertThat(failed(commands.get(b("k"), false), ErrorCode.UNAVAILABLE).message())
                .contains("shutting down");
        failed(commands.put(b("k"), b("v"), WriteTag.NONE), ErrorCode.UNAVAILABLE);
        assertThat(ok(commands.shutdown(true))).isFalse();
        assertThat(shutdownAsked).isCompletedWithValue(true);
    }

    @Test
    void drainWaitsForAWriteInFlight() {
        CompletableFuture<Void> commit = new CompletableFuture<>();
        try (CommandLayer layer = new CommandLayer(
                store,
                new HeldReplicator(replicator, commit, Function.identity()),
                settings(Role.PRIMARY),
                skip -> null)) {
            CompletableFuture<Reply<WriteAck>> write = layer.put(b("k"), b("v"), WriteTag.NONE);
            CompletableFuture<Void> drained = layer.closeAndDrain();
            assertThat(write).isNotDone();
            assertThat(drained).isNotDone();
            commit.complete(null);
            assertThat(ok(write).created()).isTrue();
            assertThat(drained).isCompleted();
        }
    }

    @Test
    void primaryReadWaitsUntilWhatItSawIsCommitted() {
        ok(commands.put(b("k"), b("v"), WriteTag.NONE));
        CompletableFuture<Void> commit = new CompletableFuture<>();
        try (CommandLayer layer = new CommandLayer(
                store,
                new HeldReplicator(replicator, commit, Function.identity()),
                settings(Role.PRIMARY),
                skip -> null)) {
            CompletableFuture<Reply<byte[]>> read = layer.get(b("k"), false);
            assertThat(read).isNotDone();
            commit.complete(null);
            assertThat(ok(read)).isEqualTo(b("v"));
        }
    }

    @Test
    void storeResultsAndFailuresMapToErrorCodes() {
        Function<WriteResult, WriteResult> oom = r -> new WriteResult(WriteOutcome.OUT_OF_MEMORY, null);
        try (CommandLayer full = new CommandLayer(
                store,
                new HeldReplicator(replicator, CompletableFuture.completedFuture(null), oom),
                settings(Role.PRIMARY),
                skip -> null)) {
            failed(full.put(b("k"), b("v"), WriteTag.NONE), ErrorCode.RESOURCE_EXHAUSTED);
        }
        Function<WriteResult, WriteResult> bad = r -> new WriteResult(WriteOutcome.REJECTED, null);
        try (CommandLayer refusing = new CommandLayer(
                store,
                new HeldReplicator(replicator, CompletableFuture.completedFuture(null), bad),
                settings(Role.PRIMARY),
                skip -> null)) {
            failed(refusing.put(b("k"), b("v"), WriteTag.NONE), ErrorCode.INVALID_ARGUMENT);
        }
        Function<WriteResult, WriteResult> diskFull = r -> {
            throw new UncheckedIOException(new IOException("No space left on device"));
        };
        try (CommandLayer broken = new CommandLayer(
                store,
                new HeldReplicator(replicator, CompletableFuture.completedFuture(null), diskFull),
                settings(Role.PRIMARY),
                skip -> null)) {
            assertThat(failed(broken.put(b("k"), b("v"), WriteTag.NONE), ErrorCode.INTERNAL)
                            .message())
                    .contains("No space");
        }
    }

    @Test
    void statusReportsStoreAndReplicatorFields() {
        ok(commands.put(b("a"), b("1"), WriteTag.NONE));
        ok(commands.put(b("b"), b("2"), WriteTag.NONE));
        commands.setDoorAddresses(new DoorAddresses("127.0.0.1:1", null, null));
        NodeStatus s = commands.status();
        assertThat(s.nodeId()).isEqualTo("primary");
        assertThat(s.configuredRole()).isEqualTo(Role.PRIMARY);
        assertThat(s.state()).isEqualTo(NodeState.BOOTSTRAP);
        assertThat(s.keyCount()).isEqualTo(2);
        assertThat(s.lastOffset()).isEqualTo(2);
        assertThat(s.committedOffset()).isEqualTo(s.durableOffset());
        assertThat(s.grpcAddress()).isEqualTo("127.0.0.1:1");
        assertThat(s.peerAddress()).isEqualTo("127.0.0.1:7002");
        assertThat(s.memoryCapacityBytes()).isEqualTo(256L << 20);
    }

    /** Delegates to a real replicator but holds commits on a future and can rewrite write results. */
    private static final class HeldReplicator implements Replicator {
        private final Replicator delegate;
        private final CompletableFuture<Void> commit;
        private final Function<WriteResult, WriteResult> rewrite;

        HeldReplicator(
                Replicator delegate, CompletableFuture<Void> commit, Function<WriteResult, WriteResult> rewrite) {
            this.delegate = delegate;
            this.commit = commit;
            this.rewrite = rewrite;
        }

        @Override
        public CompletableFuture<WriteResult> write(Mutation mutation) {
            return delegate.write(mutation).thenCombine(commit, (r, v) -> rewrite.apply(r));
        }

        @Override
        public CompletableFuture<Void> awaitCommitted(long offset) {
            return commit;
        }

        @Override
        public boolean canServeReads(boolean allowStale) {
            return delegate.canServeReads(allowStale);
        }

        @Override
        public Role role() {
            return delegate.role();
        }

        @Override
        public NodeState state() {
            return delegate.state();
        }

        @Override
        public void onStateChange(Runnable listener) {
            delegate.onStateChange(listener);
        }

        @Override
        public long epoch() {
            return 0;
        }

        @Override
        public long committedOffset() {
            return 0;
        }

        @Override
        public long peerAckedOffset() {
            return 0;
        }

        @Override
        public boolean peerConnected() {
            return false;
        }

        @Override
        public String primaryAddress() {
            return null;
        }

        @Override
        public void start() {}

        @Override
        public CompletableFuture<Long> promote(boolean force) {
            return delegate.promote(force);
        }

        @Override
        public CompletableFuture<Boolean> shutdown(boolean skipSwitchover) {
            return CompletableFuture.completedFuture(false);
        }

        @Override
        public void close() {}
    }
}
