package dev.pbkv.server.cli;

import dev.pbkv.proto.AdminGrpc;
import dev.pbkv.proto.NodeState;
import dev.pbkv.proto.StatusRequest;
import io.grpc.ManagedChannel;
import io.grpc.StatusRuntimeException;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse;
import io.grpc.health.v1.HealthGrpc;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** Asks a node's gRPC health service, optionally waiting until it answers SERVING. Used by bin/start_server. */
@Command(
        name = "probe",
        mixinStandardHelpOptions = true,
        description = {"Checks a node's gRPC health. Exit 0: SERVING; 1: not (yet) serving; 3: --pid exited."})
public final class ProbeCommand implements Callable<Integer> {
    @Mixin
    NodeTarget target;

    @Option(
            names = "--service",
            defaultValue = "",
            description =
                    "Health service name: \"\" (default) is SERVING on a serving primary; pbkv.v1.Admin on any node that is up.")
    String service;

    @Option(
            names = "--wait",
            paramLabel = "SECONDS",
            defaultValue = "0",
            description = "Keep trying this long (default: ${DEFAULT-VALUE}, one try).")
    double waitSeconds;

    @Option(
            names = "--settled",
            description = "Also wait until the node has left COLD_START (found its peer or went on alone), "
                    + "whatever role it ends up in.")
    boolean settled;

    @Option(names = "--pid", paramLabel = "PID", description = "Give up at once if this process exits.")
    Long pid;

    @Override
    public Integer call() {
        long deadline = System.nanoTime() + (long) (waitSeconds * 1e9);
        String last = "no node.json yet";
        while (true) {
            if (pid != null && ProcessHandle.of(pid).map(p -> !p.isAlive()).orElse(true)) {
                System.out.println("process " + pid + " exited");
                return 3;
            }
            Optional<Integer> port = target.port();
            if (port.isPresent()) {
                last = check(port.get());
                if (last.equals("SERVING")) {
                    System.out.println("SERVING");
                    return 0;
                }
            }
            if (System.nanoTime() >= deadline) {
                System.out.println(last);
                return 1;
            }
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(200));
        }
    }

    private String check(int port) {
        ManagedChannel channel = NodeTarget.channel(target.host(), port, target.tlsCa);
        try {
            HealthCheckResponse r = HealthGrpc.newBlockingStub(channel)
                    .withDeadlineAfter(2, TimeUnit.SECONDS)
                    .check(HealthCheckRequest.newBuilder().setService(service).build());
            if (settled && r.getStatus() == HealthCheckResponse.ServingStatus.SERVING) {
                // A restarted primary may find that its peer took over and join as backup: that is settled too.
                NodeState state = AdminGrpc.newBlockingStub(channel)
                        .withDeadlineAfter(2, TimeUnit.SECONDS)
                        .status(StatusRequest.getDefaultInstance())
                        .getState();
                return state == NodeState.COLD_START ? "COLD_START" : "SERVING";
            }
            return r.getStatus().name();
        } catch (StatusRuntimeException e) {
            return e.getStatus().getCode().name();
        } finally {
            NodeTarget.close(channel);
        }
    }
}
