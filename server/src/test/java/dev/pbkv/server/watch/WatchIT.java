package dev.pbkv.server.watch;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import com.google.protobuf.ByteString;
import dev.pbkv.client.Endpoint;
import dev.pbkv.client.KvChange;
import dev.pbkv.client.KvWatch;
import dev.pbkv.client.PbkvClient;
import dev.pbkv.client.PbkvException;
import dev.pbkv.proto.KeyValueGrpc;
import dev.pbkv.proto.NodeState;
import dev.pbkv.proto.Role;
import dev.pbkv.proto.WatchRequest;
import dev.pbkv.proto.WatchResponse;
import dev.pbkv.testkit.NodeProcess;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.NettyChannelBuilder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** gRPC Watch against a real pair: order, resume after kill -9 and failover, compaction, slow watchers. */
class WatchIT {
    static final Duration WAIT = Duration.ofSeconds(60);

    @TempDir
    Path dir;

    static PbkvClient client(NodeProcess.Pair pair) {
        return PbkvClient.builder()
                .endpoint(pair.primary().grpcAddress())
                .endpoint(pair.backup().grpcAddress())
                .retryDeadline(Duration.ofSeconds(60))
                .callTimeout(Duration.ofSeconds(5))
                .build();
    }

    static void awaitSync(NodeProcess.Pair pair) {
        pair.primary().awaitState(Role.PRIMARY, NodeState.SYNC, WAIT);
        pair.backup().awaitState(Role.BACKUP, NodeState.SYNC, WAIT);
    }

    /** Reads a watch on its own thread into a list until closed or failed. */
    static final class Collector implements AutoCloseable {
        final List<KvChange> seen = new CopyOnWriteArrayList<>();
        final AtomicReference<Throwable> failure = new AtomicReference<>();
        final KvWatch watch;
        private final Thread thread;

        Collector(KvWatch watch) {
            this.watch = watch;
            this.thread = new Thread(
                    () -> {
                        try {
                            while (watch.hasNext()) {
                                seen.add(watch.next());
                            }
                        } catch (RuntimeException e) {
                            failure.set(e);
                        }
                    },
                    "watch-collector");
            thread.start();
        }

        List<String> lines() {
            return seen.stream().map(KvChange::toString).toList();
        }

        @Override
        public void close() throws InterruptedException {
            watch.close();
            thread.join(TimeUnit.SECONDS.toMillis(30));
            assertThat(thread.isAlive()).as("collector stopped").isFalse();
        }
    }

    @Test
    void aWatchSeesEveryCommittedChangeOfItsKeyOrPrefixInLogOrder() throws Exception {
        try (NodeProcess.Pair pair = NodeProcess.pair(dir).start();
                PbkvClient client = client(pair)) {
            awaitSync(pair);
            client.put("before", "x"); // before the watch: not seen from now
            try (Collector prefix = new Collector(client.watchPrefix(utf8("p/"), 0));
                    Collector key = new Collector(client.watch(utf8("p/a"), 0))) {
                await().atMost(WAIT).until(() -> prefix.watch.resumeOffset() > 0 && key.watch.resumeOffset() > 0);
                List<String> expectPrefix = new ArrayList<>();
                List<String> expectKey = new ArrayList<>();
                for (int i = 0; i < 100; i++) {
                    String k = "p/" + (char) ('a' + i % 3);
                    long offset = client.put(k, "v" + i).offset();
                    expectPrefix.add(offset + " set " + k + " v" + i);
                    if (k.equals("p/a")) {
                        expectKey.add(offset + " set p/a v" + i);
                    }
                    client.put("q/" + i, "other"); // outside the prefix
                }
                long del = client.delete("p/a").offset();
                expectPrefix.add(del + " delete p/a");
                expectKey.add(del + " delete p/a");
                await().atMost(WAIT)
                        .until(() -> prefix.seen.size() >= expectPrefix.size() && key.seen.size() >= expectKey.size());
                assertThat(prefix.lines()).containsExactlyElementsOf(expectPrefix);
                assertThat(key.lines()).containsExactlyElementsOf(expectKey);
                assertThat(prefix.failure.get()).isNull();

                // From an offset: the same history again, on the backup too (allow stale reads).
                long first = client.put("p/z", "last").offset() - 2 * 100 - 1; // first p/ write of the loop
                try (PbkvClient stale = PbkvClient.builder()
                                .endpoint(pair.backup().grpcAddress())
                                .allowStale(true)
                                .retryDeadline(Duration.ofSeconds(30))
                                .build();
                        Collector again = new Collector(stale.watchPrefix(utf8("p/"), first))) {
                    await().atMost(WAIT).until(() -> again.seen.size() >= expectPrefix.size() + 1);
                    assertThat(again.lines().subList(0, expectPrefix.size())).containsExactlyElementsOf(expectPrefix);
                    assertThat(again.lines().get(expectPrefix.size())).endsWith(" set p/z last");
                }
            }
        }
    }

    @Test
    void aWatchResumedOnTheNewPrimaryAfterKillOfThePrimarySeesEveryLaterChangeOnceInOrder() throws Exception {
        try (NodeProcess.Pair pair = NodeProcess.pair(dir)
                        .set("replication.peer-timeout-ms", "1000")
                        .start();
                PbkvClient writerClient = client(pair);
                PbkvClient watchClient = client(pair)) {
            awaitSync(pair);
            List<Long> acknowledged = new CopyOnWriteArrayList<>();
            AtomicBoolean stop = new AtomicBoolean();
            Thread writer = new Thread(
                    () -> {
                        for (long i = 0; !stop.get(); i++) {
                            try {
                                if (writerClient.put("seq", Long.toString(i)).isOk()) {
                                    acknowledged.add(i);
                                }
                            } catch (PbkvException e) {
                                // outcome unknown: may or may not be in the history
                            }
                        }
                    },
                    "seq-writer");
            try (Collector watch = new Collector(watchClient.watch(utf8("seq"), 0))) {
                await().atMost(WAIT).until(() -> watch.watch.resumeOffset() > 0);
                writer.start();
                await().atMost(WAIT).until(() -> watch.seen.size() >= 300);

                pair.primary().kill();
                assertThat(writerClient
                                .promote(Endpoint.parse(pair.backup().grpcAddress()), true)
                                .promoted())
                        .isTrue();
                pair.backup().awaitState(Role.PRIMARY, NodeState.BOOTSTRAP, WAIT);
                int atKill = acknowledged.size();
                await().atMost(WAIT).until(() -> acknowledged.size() >= atKill + 300);
                stop.set(true);
                writer.join(TimeUnit.SECONDS.toMillis(60));
                long lastAcked = acknowledged.get(acknowledged.size() - 1);
                await().atMost(WAIT)
                        .until(() -> !watch.seen.isEmpty()
                                && Long.parseLong(watch.seen
                                                .get(watch.seen.size() - 1)
                                                .valueString())
                                        >= lastAcked);
                assertThat(watch.failure.get()).isNull();

                // Once each, in order: exactly what a fresh watch of the new primary's log from the
                // same first offset sees.
                List<String> resumed = watch.lines();
                long firstOffset = watch.seen.get(0).offset();
                try (Collector fresh = new Collector(writerClient.watch(utf8("seq"), firstOffset))) {
                    await().atMost(WAIT).until(() -> fresh.seen.size() >= resumed.size());
                    assertThat(fresh.lines().subList(0, resumed.size())).containsExactlyElementsOf(resumed);
                }
                List<Long> values = new ArrayList<>();
                for (KvChange c : watch.seen) {
                    values.add(Long.parseLong(c.valueString()));
                }
                assertThat(values).isSorted().doesNotHaveDuplicates();
                assertThat(values)
                        .containsAll(acknowledged.subList(acknowledged.indexOf(values.get(0)), acknowledged.size()));
            } finally {
                stop.set(true);
                writer.join(TimeUnit.SECONDS.toMillis(60));
            }
        }
    }

    @Test
    void aWatchFromACompactedOffsetIsOutOfRangeAndSaysWhereToResume() {
        try (NodeProcess.Pair pair = NodeProcess.pair(dir)
                        .set("store.snapshot-log-bytes", "8k")
                        .set("store.retained-log-bytes", "0")
                        .start();
                PbkvClient client = client(pair)) {
            awaitSync(pair);
            byte[] value = new byte[512];
            await().atMost(WAIT).until(() -> {
                for (int i = 0; i < 50; i++) {
                    client.put(utf8("k" + i), value);
                }
                return pair.primary().logContains("truncated") || isCompacted(client);
            });
            assertThatThrownBy(() -> {
                        try (KvWatch w = client.watch(utf8("k1"), 1)) {
                            w.hasNext();
                        }
                    })
                    .isInstanceOfSatisfying(
                            PbkvException.class, e -> assertThat(e.code()).isEqualTo(Status.Code.OUT_OF_RANGE))
                    .hasMessageContaining("no longer holds offset 1")
                    .hasMessageContaining("re-read the keys, then watch again from offset");
        }
    }

    /** Whether offset 1 is gone: a watch from it fails at once. */
    private static boolean isCompacted(PbkvClient client) {
        try (KvWatch w = client.watch(utf8("k1"), 1)) {
            w.hasNext();
            return false;
        } catch (PbkvException e) {
            return e.code() == Status.Code.OUT_OF_RANGE;
        }
    }

    @Test
    void aWatcherThatDoesNotReadIsDisconnectedWhileTheWriterGoesOn() throws Exception {
        try (NodeProcess.Pair pair =
                        NodeProcess.pair(dir).set("watch.buffer-bytes", "16k").start();
                PbkvClient client = client(pair)) {
            awaitSync(pair);
            ManagedChannel channel = NettyChannelBuilder.forTarget(
                            pair.primary().grpcAddress())
                    .usePlaintext()
                    .flowControlWindow(65535)
                    .build();
            try {
                Iterator<WatchResponse> slow = KeyValueGrpc.newBlockingStub(channel)
                        .watch(WatchRequest.newBuilder()
                                .setPrefix(true)
                                .setKey(ByteString.copyFromUtf8("big/"))
                                .build());
                assertThat(slow.next().getEventsCount()).isZero(); // the first message, then it stops reading
                byte[] value = new byte[1024];
                long started = System.nanoTime();
                for (int i = 0; i < 2000; i++) {
                    assertThat(client.put(utf8("big/" + (i % 50)), value).isOk())
                            .isTrue();
                }
                long writeMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started);
                assertThat(writeMillis).as("2000 writes with a stuck watcher").isLessThan(60_000);
                StatusRuntimeException end = null;
                int events = 0;
                try {
                    while (slow.hasNext()) {
                        events += slow.next().getEventsCount();
                    }
                } catch (StatusRuntimeException e) {
                    end = e;
                }
                assertThat(end).isNotNull();
                assertThat(end.getStatus().getCode()).isEqualTo(Status.Code.RESOURCE_EXHAUSTED);
                assertThat(end.getStatus().getDescription())
                        .contains("watcher fell behind")
                        .contains("watch.buffer-bytes = 16384")
                        .contains("watch again from offset");
                assertThat(events).isLessThan(2000);
            } finally {
                channel.shutdownNow();
                channel.awaitTermination(10, TimeUnit.SECONDS);
            }
        }
    }

    @Test
    void theCommandLineWatchPrintsEachChangeAndFollowsAFailover() throws Exception {
        try (NodeProcess.Pair pair = NodeProcess.pair(dir)
                        .set("replication.peer-timeout-ms", "1000")
                        .start();
                PbkvClient client = client(pair)) {
            awaitSync(pair);
            List<String> expected = new ArrayList<>();
            long first = client.put("cli", "v0").offset();
            expected.add(first + " set cli v0");
            java.io.ByteArrayOutputStream printed = new java.io.ByteArrayOutputStream();
            java.io.PrintStream out = new java.io.PrintStream(printed, true, StandardCharsets.UTF_8);
            java.io.PrintStream err = new java.io.PrintStream(new java.io.ByteArrayOutputStream(), true);
            AtomicReference<Integer> exit = new AtomicReference<>();
            Thread cli = new Thread(
                    () -> exit.set(dev.pbkv.client.cli.PbkvCli.run(
                            out,
                            err,
                            java.io.InputStream.nullInputStream(),
                            java.util.Map.of(),
                            "--server",
                            pair.primary().grpcAddress(),
                            "--server",
                            pair.backup().grpcAddress(),
                            "--timeout",
                            "30s",
                            "watch",
                            "cli",
                            "--from",
                            Long.toString(first),
                            "--count",
                            "20")),
                    "pbkv-watch-cli");
            cli.start();
            for (int i = 1; i < 10; i++) {
                expected.add(client.put("cli", "v" + i).offset() + " set cli v" + i);
            }
            await().atMost(WAIT)
                    .until(() ->
                            printed.toString(StandardCharsets.UTF_8).lines().count() >= 10);
            pair.primary().kill();
            assertThat(client.promote(Endpoint.parse(pair.backup().grpcAddress()), true)
                            .promoted())
                    .isTrue();
            for (int i = 10; i < 19; i++) {
                expected.add(client.put("cli", "v" + i).offset() + " set cli v" + i);
            }
            expected.add(client.delete("cli").offset() + " delete cli");
            cli.join(TimeUnit.SECONDS.toMillis(60));
            assertThat(cli.isAlive()).isFalse();
            assertThat(exit.get()).isZero();
            assertThat(printed.toString(StandardCharsets.UTF_8).lines()).containsExactlyElementsOf(expected);
        }
    }

    static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }
}
