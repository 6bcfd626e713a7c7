package dev.pbkv.tester.bench;

import com.google.protobuf.ByteString;
import dev.pbkv.proto.AdminGrpc;
import dev.pbkv.proto.KeyValueGrpc;
import dev.pbkv.proto.NodeState;
import dev.pbkv.proto.Role;
import dev.pbkv.proto.ShutdownRequest;
import dev.pbkv.proto.StatusRequest;
import dev.pbkv.proto.StatusResponse;
import dev.pbkv.proto.WriteRequest;
import dev.pbkv.tester.driver.NodeConnector;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * The measuring half of {@code bin/bench pair} (bin/lib/bench-pair.sh), run from the tester's
 * jar: {@code java -cp tester/target/pbkv-tester.jar dev.pbkv.tester.bench.PairBench ...}.
 *
 * <pre>
 * await-state ADDR ROLE STATE SINCE_EPOCH_MS TIMEOUT_S
 *     polls Admin.Status every 10 ms until ROLE/STATE; prints the ms elapsed since SINCE_EPOCH_MS
 * switchover PRIMARY_ADDR BACKUP_ADDR
 *     one client writes in a loop (plain stubs, no client retries, so refusals are seen) while
 *     Admin.Shutdown is sent to the primary; prints the pause the writer saw
 * </pre>
 */
public final class PairBench {
    static final Metadata.Key<String> PRIMARY = Metadata.Key.of("pbkv-primary", Metadata.ASCII_STRING_MARSHALLER);
    static final Map<String, ManagedChannel> CHANNELS = new HashMap<>();

    static ManagedChannel channel(String hostPort) {
        return CHANNELS.computeIfAbsent(
                hostPort, a -> NodeConnector.PLAINTEXT.grpc(a).build()); // bench-pair.sh's own plaintext pair
    }

    public static void main(String[] args) throws Exception {
        try {
            switch (args[0]) {
                case "await-state" ->
                    awaitState(
                            args[1],
                            Role.valueOf(args[2]),
                            NodeState.valueOf(args[3]),
                            Long.parseLong(args[4]),
                            Long.parseLong(args[5]));
                case "switchover" -> switchover(args[1], args[2]);
                default -> throw new IllegalArgumentException("unknown command " + args[0]);
            }
        } finally {
            CHANNELS.values().forEach(ManagedChannel::shutdownNow);
        }
    }

    static void awaitState(String addr, Role role, NodeState state, long sinceMs, long timeoutS) throws Exception {
        long deadline = System.currentTimeMillis() + timeoutS * 1000;
        while (System.currentTimeMillis() < deadline) {
            try {
                StatusResponse s = AdminGrpc.newBlockingStub(channel(addr))
                        .withDeadlineAfter(2, TimeUnit.SECONDS)
                        .status(StatusRequest.getDefaultInstance());
                if (s.getRole() == role && s.getState() == state) {
                    System.out.println(System.currentTimeMillis() - sinceMs);
                    return;
                }
            } catch (StatusRuntimeException e) {
                // not up yet
            }
            Thread.sleep(10);
        }
        System.err.println("timed out waiting for " + addr + " " + role + " " + state);
        System.exit(1);
    }

    static void switchover(String primary, String backup) throws Exception {
        ByteString value = ByteString.copyFrom(new byte[100]);
        // Connect to the backup up front, as a client that knows both nodes does: the figure is
        // the pair's pause, not a TCP and HTTP/2 handshake.
        AdminGrpc.newBlockingStub(channel(backup))
                .withDeadlineAfter(10, TimeUnit.SECONDS)
                .status(StatusRequest.getDefaultInstance());
        String target = primary;
        long lastAcceptedBefore = 0;
        long firstRefused = 0;
        long firstAcceptedAfter = 0;
        long before = 0;
        long refusals = 0;
        CompletableFuture<Boolean> shutdown = null;
        long shutdownSent = 0;
        for (long i = 0; ; i++) {
            if (shutdown == null && before >= 2000) { // a warm writer first, then stop the primary
                shutdownSent = System.nanoTime();
                shutdown = CompletableFuture.supplyAsync(() -> AdminGrpc.newBlockingStub(channel(primary))
                        .withDeadlineAfter(30, TimeUnit.SECONDS)
                        .shutdown(ShutdownRequest.getDefaultInstance())
                        .getSwitchedOver());
            }
            try {
                KeyValueGrpc.newBlockingStub(channel(target))
                        .withDeadlineAfter(10, TimeUnit.SECONDS)
                        .put(WriteRequest.newBuilder()
                                .setKey(ByteString.copyFromUtf8("sw/" + (i % 10000)))
                                .setValue(value)
                                .build());
                long now = System.nanoTime();
                if (firstRefused == 0) {
                    lastAcceptedBefore = now;
                    before++;
                } else {
                    firstAcceptedAfter = now;
                    break;
                }
            } catch (StatusRuntimeException e) {
                if (e.getStatus().getCode() != Status.Code.UNAVAILABLE) {
                    throw e;
                }
                refusals++;
                if (firstRefused == 0) {
                    firstRefused = System.nanoTime();
                }
                String hint = e.getTrailers() == null ? null : e.getTrailers().get(PRIMARY);
                target = hint != null && !hint.isEmpty() ? hint : backup;
            }
        }
        boolean switched = shutdown.get(30, TimeUnit.SECONDS);
        System.out.printf(
                "switched_over=%s new_primary=%s writes_before=%d refusals=%d refused_to_accepted_ms=%.1f "
                        + "last_accepted_to_first_accepted_ms=%.1f shutdown_call_to_first_accepted_ms=%.1f%n",
                switched,
                target,
                before,
                refusals,
                (firstAcceptedAfter - firstRefused) / 1e6,
                (firstAcceptedAfter - lastAcceptedBefore) / 1e6,
                (firstAcceptedAfter - shutdownSent) / 1e6);
    }
}
