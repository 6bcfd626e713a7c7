package dev.pbkv.server.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.TextFormat;
import com.google.protobuf.util.JsonFormat;
import dev.pbkv.proto.AdminGrpc;
import dev.pbkv.proto.StatusRequest;
import dev.pbkv.proto.StatusResponse;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * Prints Admin.Status on one line: protobuf text format, or (--json) one JSON object that scripts
 * read instead of parsing text, or (--field) one value of that object.
 */
@Command(
        name = "status",
        mixinStandardHelpOptions = true,
        description = {
            "Prints a node's Admin.Status on one line. Exit 0: answered; 1: not reachable;",
            "Scripts read it with --field (no JSON parsing in bin/)."
        })
public final class StatusCommand implements Callable<Integer> {
    private static final ObjectMapper JSON = new ObjectMapper();

    @Mixin
    NodeTarget target;

    @Option(
            names = "--json",
            description = {
                "One JSON object: the Admin.Status fields by their proto names",
                "(role, state, epoch, grpc_address, ...; 64-bit numbers as strings), and with --data-dir",
                "node.json's pid, host and bound ports (pid, host, grpc, resp, http)."
            })
    boolean json;

    @Option(
            names = "--field",
            paramLabel = "NAME",
            description = {
                "Only these fields of the --json object, one per",
                "line as plain text, in the order given (e.g. --field role --field state); a field the",
                "object does not have (a door that is off) prints an empty line."
            })
    List<String> fields;

    @Override
    public Integer call() {
        return target.callAdmin("status", channel -> {
            var r = AdminGrpc.newBlockingStub(channel)
                    .withDeadlineAfter(5, TimeUnit.SECONDS)
                    .status(StatusRequest.getDefaultInstance());
            if (fields != null) {
                ObjectNode all = asJson(r);
                fields.forEach(f -> System.out.println(all.path(f).asText("")));
            } else if (json) {
                System.out.println(asJson(r));
            } else {
                System.out.println(TextFormat.printer().shortDebugString(r));
            }
            return 0;
        });
    }

    private ObjectNode asJson(StatusResponse r) {
        try {
            ObjectNode n = (ObjectNode) JSON.readTree(JsonFormat.printer()
                    .preservingProtoFieldNames()
                    .includingDefaultValueFields()
                    .omittingInsignificantWhitespace()
                    .print(r));
            if (target.dataDir != null) {
                NodeInfoFile.read(target.dataDir).ifPresent(info -> {
                    n.put("pid", info.pid());
                    n.put("host", info.host());
                    putPort(n, "grpc", info.grpc());
                    putPort(n, "resp", info.resp());
                    putPort(n, "http", info.http());
                });
            }
            return n;
        } catch (InvalidProtocolBufferException e) {
            throw new IllegalStateException(e);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static void putPort(ObjectNode n, String door, Integer port) {
        if (port != null) {
            n.put(door, port);
        }
    }
}
