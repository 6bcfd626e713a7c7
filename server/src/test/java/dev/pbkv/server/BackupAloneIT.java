package dev.pbkv.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import com.google.protobuf.ByteString;
import dev.pbkv.proto.AdminGrpc;
import dev.pbkv.proto.CountRequest;
import dev.pbkv.proto.GetRequest;
import dev.pbkv.proto.KeyValueGrpc;
import dev.pbkv.proto.NodeState;
import dev.pbkv.proto.Role;
import dev.pbkv.proto.StatusRequest;
import dev.pbkv.proto.StatusResponse;
import dev.pbkv.proto.WriteRequest;
import dev.pbkv.testkit.NodeProcess;
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A backup whose primary is not running: it comes up but does not serve (health NOT_SERVING),
 * refuses writes and fresh reads with UNAVAILABLE and the primary's address in the trailer, and
 * answers stale reads from its own copy.
 */
class BackupAloneIT {
    static final Metadata.Key<String> PRIMARY = Metadata.Key.of("pbkv-primary", Metadata.ASCII_STRING_MARSHALLER);

    @TempDir
    Path dir;

    @Test
    void backupRefusesWritesWithThePrimaryAddressAndServesStaleReads() {
        try (NodeProcess backup = NodeProcess.backup(dir).peer("127.0.0.1:7777").start()) {
            KeyValueGrpc.KeyValueBlockingStub kv =
                    KeyValueGrpc.newBlockingStub(backup.channel()).withDeadlineAfter(30, TimeUnit.SECONDS);
            StatusRuntimeException w = catchThrowableOfType(
                    StatusRuntimeException.class,
                    () -> kv.put(WriteRequest.newBuilder()
                            .setKey(ByteString.copyFromUtf8("k"))
                            .setValue(ByteString.copyFromUtf8("v"))
                            .build()));
            assertThat(w.getStatus().getCode()).isEqualTo(Status.Code.UNAVAILABLE);
            assertThat(w.getTrailers().get(PRIMARY)).isEqualTo("127.0.0.1:7777");

            StatusRuntimeException r = catchThrowableOfType(
                    StatusRuntimeException.class,
                    () -> kv.get(GetRequest.newBuilder()
                            .setKey(ByteString.copyFromUtf8("k"))
                            .build()));
            assertThat(r.getStatus().getCode()).isEqualTo(Status.Code.UNAVAILABLE);
            assertThat(r.getTrailers().get(PRIMARY)).isEqualTo("127.0.0.1:7777");

            StatusRuntimeException stale = catchThrowableOfType(
                    StatusRuntimeException.class,
                    () -> kv.get(GetRequest.newBuilder()
                            .setKey(ByteString.copyFromUtf8("k"))
                            .setAllowStale(true)
                            .build()));
            assertThat(stale.getStatus().getCode()).isEqualTo(Status.Code.NOT_FOUND);
            assertThat(kv.count(CountRequest.newBuilder().setAllowStale(true).build())
                            .getCount())
                    .isZero();

            assertThat(backup.isServing(NodeProcess.Readiness.SERVING)).isFalse();
            assertThat(backup.isServing(NodeProcess.Readiness.UP)).isTrue();
            StatusResponse s = AdminGrpc.newBlockingStub(backup.channel()).status(StatusRequest.getDefaultInstance());
            assertThat(s.getNodeId()).isEqualTo("backup");
            assertThat(s.getRole()).isEqualTo(Role.BACKUP);
            assertThat(s.getState()).isEqualTo(NodeState.COLD_START);
            assertThat(s.getPrimaryAddress()).isEqualTo("127.0.0.1:7777");
            assertThat(s.getPeerAddress()).isEqualTo("127.0.0.1:7777");
        }
    }

    @Test
    void fullArenaGetsResourceExhaustedAndDeletesMakeRoom() {
        try (NodeProcess node = NodeProcess.primary(dir).memory("1m").start()) {
            KeyValueGrpc.KeyValueBlockingStub kv =
                    KeyValueGrpc.newBlockingStub(node.channel()).withDeadlineAfter(30, TimeUnit.SECONDS);
            ByteString value = ByteString.copyFrom(new byte[64 << 10]);
            int stored = 0;
            Status.Code refused = Status.Code.OK;
            for (int i = 0; i < 64 && refused == Status.Code.OK; i++) { // 4 MiB into a 1 MiB arena
                try {
                    kv.put(WriteRequest.newBuilder()
                            .setKey(ByteString.copyFromUtf8("fill/" + i))
                            .setValue(value)
                            .build());
                    stored++;
                } catch (StatusRuntimeException e) {
                    refused = e.getStatus().getCode();
                }
            }
            assertThat(refused).isEqualTo(Status.Code.RESOURCE_EXHAUSTED);
            assertThat(stored).isPositive();
            kv.delete(dev.pbkv.proto.DeleteRequest.newBuilder()
                    .setKey(ByteString.copyFromUtf8("fill/0"))
                    .build());
            kv.put(WriteRequest.newBuilder()
                    .setKey(ByteString.copyFromUtf8("fill/again"))
                    .setValue(value)
                    .build());
            assertThat(kv.count(CountRequest.getDefaultInstance()).getCount()).isEqualTo(stored);
        }
    }
}
