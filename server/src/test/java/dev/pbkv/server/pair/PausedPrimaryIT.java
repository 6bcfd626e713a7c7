package dev.pbkv.server.pair;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.google.protobuf.ByteString;
import dev.pbkv.proto.GetRequest;
import dev.pbkv.proto.KeyValueGrpc;
import dev.pbkv.proto.NodeState;
import dev.pbkv.proto.Role;
import dev.pbkv.proto.WriteRequest;
import dev.pbkv.testkit.CoordinatorProcess;
import dev.pbkv.testkit.NodeProcess;
import dev.pbkv.testkit.ProcessPause;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A SIGSTOP'd primary that wakes after its coordinator session expired serves nothing: reads and
 * writes sent to it the moment it wakes are refused (never a stale read, never an acknowledged
 * write), while the backup, promoted meanwhile, holds the newer value. Real processes: the
 * embedded coordinator and a pair.
 */
class PausedPrimaryIT {
    private static final Duration WAIT = Duration.ofSeconds(60);

    @TempDir
    Path dir;

    private static WriteRequest put(String k, String v) {
        return WriteRequest.newBuilder()
                .setKey(ByteString.copyFromUtf8(k))
                .setValue(ByteString.copyFromUtf8(v))
                .build();
    }

    @Test
    void aPrimaryWokenAfterItsSessionExpiredServesNothing() throws Exception {
        try (CoordinatorProcess zk =
                        CoordinatorProcess.in(dir.resolve("coordinator")).start();
                NodeProcess.Pair pair = NodeProcess.pair(dir)
                        .set("coordinator.connect", zk.connectString())
                        .set("coordinator.session-timeout-ms", "1500")
                        .set("replication.peer-timeout-ms", "1000")
                        .start()) {
            NodeProcess primary = pair.primary();
            NodeProcess backup = pair.backup();
            PairFailoverIT.awaitSync(primary, backup);
            KeyValueGrpc.newBlockingStub(primary.channel())
                    .withDeadlineAfter(10, TimeUnit.SECONDS)
                    .put(put("k", "old"));

            ProcessPause.pause(primary.pid());
            boolean resumed = false;
            try {
                backup.awaitState(Role.PRIMARY, NodeState.BOOTSTRAP, WAIT);
                KeyValueGrpc.newBlockingStub(backup.channel())
                        .withDeadlineAfter(10, TimeUnit.SECONDS)
                        .put(put("k", "new"));

                // Queue requests on the frozen node, then wake it: they are the first it sees.
                var stub = KeyValueGrpc.newFutureStub(primary.channel()).withDeadlineAfter(20, TimeUnit.SECONDS);
                List<com.google.common.util.concurrent.ListenableFuture<?>> reads = new ArrayList<>();
                List<com.google.common.util.concurrent.ListenableFuture<?>> writes = new ArrayList<>();
                for (int i = 0; i < 20; i++) {
                    reads.add(stub.get(GetRequest.newBuilder()
                            .setKey(ByteString.copyFromUtf8("k"))
                            .build()));
                    writes.add(stub.put(put("woken" + i, "x")));
                }
                ProcessPause.resume(primary.pid());
                resumed = true;
                for (var f : reads) {
                    assertRefused(f, "a read of the woken primary");
                }
                for (var f : writes) {
                    assertRefused(f, "a write to the woken primary");
                }
            } finally {
                if (!resumed) {
                    ProcessPause.resume(primary.pid());
                }
            }
            primary.awaitState(Role.BACKUP, NodeState.SYNC, WAIT);
            await().atMost(WAIT)
                    .untilAsserted(() -> assertThat(primary.dump().get(ByteString.copyFromUtf8("k")))
                            .isEqualTo(ByteString.copyFromUtf8("new")));
            for (int i = 0; i < 20; i++) {
                assertThat(backup.dump()).doesNotContainKey(ByteString.copyFromUtf8("woken" + i));
            }
        }
    }

    /** Refused, not answered: UNAVAILABLE (not applied) or UNKNOWN (outcome unknown); never a value. */
    private static void assertRefused(com.google.common.util.concurrent.ListenableFuture<?> f, String what) {
        try {
            Object answer = f.get(30, TimeUnit.SECONDS);
            throw new AssertionError(what + " was answered: " + answer);
        } catch (java.util.concurrent.ExecutionException e) {
            Status.Code code = Status.fromThrowable(e.getCause()).getCode();
            assertThat(code).as(what).isIn(Status.Code.UNAVAILABLE, Status.Code.UNKNOWN);
            assertThat(e.getCause()).isInstanceOf(StatusRuntimeException.class);
        } catch (InterruptedException | java.util.concurrent.TimeoutException e) {
            throw new AssertionError(what + ": no answer", e);
        }
    }
}
