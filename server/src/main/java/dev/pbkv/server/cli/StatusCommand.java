package dev.pbkv.server.cli;

import com.google.protobuf.TextFormat;
import dev.pbkv.proto.AdminGrpc;
import dev.pbkv.proto.StatusRequest;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;

/** Prints Admin.Status on one line (protobuf text format). */
@Command(name = "status", mixinStandardHelpOptions = true,
        description = {"Prints a node's Admin.Status on one line. Exit 0: answered; 1: not reachable."})
public final class StatusCommand implements Callable<Integer> {
    @Mixin
    NodeTarget target;

    @Override
    public Integer call() {
        return target.callAdmin("status", channel -> {
            var r = AdminGrpc.newBlockingStub(channel).withDeadlineAfter(5, TimeUnit.SECONDS)
                    .status(StatusRequest.getDefaultInstance());
            System.out.println(TextFormat.printer().shortDebugString(r));
            return 0;
        });
    }
}
