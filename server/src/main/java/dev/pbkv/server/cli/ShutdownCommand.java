package dev.pbkv.server.cli;

import dev.pbkv.proto.AdminGrpc;
import dev.pbkv.proto.ShutdownRequest;
import dev.pbkv.proto.ShutdownResponse;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** Calls Admin.Shutdown on a node. Used by bin/stop_server. */
@Command(
        name = "shutdown",
        mixinStandardHelpOptions = true,
        description = {"Asks a node to shut down gracefully. Exit 0: it answered; 1: it could not be reached."})
public final class ShutdownCommand implements Callable<Integer> {
    @Mixin
    NodeTarget target;

    @Option(names = "--skip-switchover", description = "Do not hand the primary role to the backup first.")
    boolean skipSwitchover;

    @Option(
            names = "--timeout",
            paramLabel = "SECONDS",
            defaultValue = "30",
            description = "How long to wait for the answer (default: ${DEFAULT-VALUE}).")
    double timeoutSeconds;

    @Override
    public Integer call() {
        return target.callAdmin("shutdown", channel -> {
            ShutdownResponse r = AdminGrpc.newBlockingStub(channel)
                    .withDeadlineAfter((long) (timeoutSeconds * 1000), TimeUnit.MILLISECONDS)
                    .shutdown(ShutdownRequest.newBuilder()
                            .setSkipSwitchover(skipSwitchover)
                            .build());
            System.out.println("shutdown accepted (switched over: " + r.getSwitchedOver() + ")");
            return 0;
        });
    }
}
