package dev.pbkv.server.pair;

import static dev.pbkv.server.pair.PairFailoverIT.STATE_WAIT;
import static dev.pbkv.server.pair.PairFailoverIT.awaitSync;
import static dev.pbkv.server.pair.PairFailoverIT.client;
import static dev.pbkv.server.pair.PairFailoverIT.endpoint;
import static dev.pbkv.server.pair.PairFailoverIT.pair;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.google.protobuf.ByteString;
import dev.pbkv.client.PbkvClient;
import dev.pbkv.proto.NodeState;
import dev.pbkv.proto.Role;
import dev.pbkv.testkit.NodeProcess;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Admin.Shutdown on an in-sync primary (what bin/stop_server does) while several clients write:
 * the backup takes over, no client sees an error, and every acknowledged write is on the new
 * primary.
 */
class PairSwitchoverIT {
    @TempDir
    Path dir;

    @Test
    void switchoverUnderConcurrentWritesLosesNothingAndShowsNoError() throws Exception {
        int writers = 4;
        try (NodeProcess.Pair pair = pair(dir).start();
                PbkvClient client = client(pair, Duration.ofSeconds(20))) {
            awaitSync(pair.primary(), pair.backup());
            Map<String, String> acknowledged = new ConcurrentHashMap<>();
            Queue<Throwable> errors = new ConcurrentLinkedQueue<>();
            // Set once when the test has seen enough writes after the switchover: the writers' stop signal.
            AtomicBoolean stop = new AtomicBoolean();
            // The longest time one write took, in nanoseconds: the pause the clients saw.
            AtomicLong longestWriteNanos = new AtomicLong();
            ExecutorService pool = Executors.newFixedThreadPool(writers);
            List<Future<?>> running = new java.util.ArrayList<>();
            for (int t = 0; t < writers; t++) {
                String prefix = "w" + t + "/";
                running.add(pool.submit(() -> {
                    for (int i = 0; !stop.get(); i++) {
                        try {
                            long begin = System.nanoTime();
                            boolean ok = client.put(prefix + i, "v" + i).isOk();
                            longestWriteNanos.accumulateAndGet(System.nanoTime() - begin, Math::max);
                            if (ok) {
                                acknowledged.put(prefix + i, "v" + i);
                            } else {
                                errors.add(new AssertionError("put refused: " + prefix + i));
                            }
                        } catch (RuntimeException e) {
                            errors.add(e);
                        }
                    }
                }));
            }
            try {
                await().atMost(STATE_WAIT).until(() -> acknowledged.size() >= 500);
                boolean switched = client.shutdown(endpoint(pair.primary()), false);
                assertThat(switched).as("switched over").isTrue();
                assertThat(pair.primary().waitForExit(NodeProcess.STOP_TIMEOUT)).isTrue();
                assertThat(pair.primary().exitValue()).isZero();
                pair.backup().awaitState(Role.PRIMARY, NodeState.BOOTSTRAP, STATE_WAIT);
                int atSwitch = acknowledged.size();
                await().atMost(STATE_WAIT).until(() -> acknowledged.size() >= atSwitch + 500);
            } finally {
                stop.set(true);
                pool.shutdown();
                assertThat(pool.awaitTermination(60, TimeUnit.SECONDS)).isTrue();
            }
            for (Future<?> f : running) {
                f.get();
            }
            assertThat(errors).as("errors seen by the writers").isEmpty();
            System.out.printf(
                    "switchover: %d writes acknowledged, longest write %d ms%n",
                    acknowledged.size(), longestWriteNanos.get() / 1_000_000);
            Map<ByteString, ByteString> onNewPrimary = pair.backup().dump();
            acknowledged.forEach((k, v) -> assertThat(onNewPrimary.get(ByteString.copyFromUtf8(k)))
                    .as(k)
                    .isEqualTo(ByteString.copyFromUtf8(v)));
            assertThat(onNewPrimary).hasSize(acknowledged.size()); // nothing applied twice under another name

            // the old primary restarts as the backup of the new one
            pair.primary().startUp();
            pair.primary().awaitState(Role.BACKUP, NodeState.SYNC, STATE_WAIT);
            assertThat(pair.primary().dump()).isEqualTo(pair.backup().dump());
        }
    }
}
