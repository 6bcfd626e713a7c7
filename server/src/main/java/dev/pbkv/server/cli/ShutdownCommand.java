package dev.pbkv.server.cli;

import dev.pbkv.proto.AdminGrpc;
import dev.pbkv.proto.ShutdownRequest;
import dev.pbkv.proto.ShutdownResponse;
import io.grpc.ManagedChannel;
import io.grpc.StatusRuntimeException;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;

/** Calls Admin.Shutdown on a node. Used by bin/stop_server. */
@Command(name = "shutdown", mixinStandardHelpOptions = true,
        description = {"Asks a node to shut down gracefully. Exit 0: it answered; 1: it could not be reached."})
public final class ShutdownCommand implements Callable<Integer> {
    @Mixin
    NodeTarget target;

    @Option(names = "--skip-switchover", description = "Do not hand the primary role to the backup first.")
    boolean skipSwitchover;

    @Option(names = "--timeout", paramLabel = "SECONDS", defaultValue = "30",
            description = "How long to wait for the answer (default: ${DEFAULT-VALUE}).")
    double timeoutSeconds;

    @Override
    public Integer call() {
        Optional<Integer> port = target.port();
        if (port.isEmpty()) {
            System.out.println("no node.json in " + target.dataDir + ": the node is not serving");
            return 1;
        }
        ManagedChannel channel = NodeTarget.channel(target.host(), port.get());
        try {
            ShutdownResponse r = AdminGrpc.newBlockingStub(channel)
                    .withDeadlineAfter((long) (timeoutSeconds * 1000), TimeUnit.MILLISECONDS)
                    .shutdown(ShutdownRequest.newBuilder().setSkipSwitchover(skipSwitchover).build());
            System.out.println("shutdown accepted (switched over: " + r.getSwitchedOver() + ")");
            return 0;
        } catch (StatusRuntimeException e) {
            System.out.println("shutdown failed: " + e.getStatus());
            return 1;
        } finally {
            NodeTarget.close(channel);
        }
    }
}
