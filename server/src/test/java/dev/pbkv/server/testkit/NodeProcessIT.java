package dev.pbkv.server.testkit;

import static org.assertj.core.api.Assertions.assertThat;

import dev.pbkv.proto.AdminGrpc;
import dev.pbkv.proto.StatusRequest;
import dev.pbkv.proto.StatusResponse;
import dev.pbkv.testkit.NodeProcess;
import dev.pbkv.testkit.PidFile;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The test kit (module testkit/) against real nodes of this module: a pair starts with each node
 * knowing the other's gRPC address, and close stops both.
 */
class NodeProcessIT {
    @TempDir
    Path dir;

    @Test
    void pairNodesKnowEachOtherAndCloseStopsBoth() {
        NodeProcess.Pair pair = NodeProcess.pair(dir).start();
        try (pair) {
            StatusResponse p =
                    AdminGrpc.newBlockingStub(pair.primary().channel()).status(StatusRequest.getDefaultInstance());
            StatusResponse b =
                    AdminGrpc.newBlockingStub(pair.backup().channel()).status(StatusRequest.getDefaultInstance());
            assertThat(p.getPeerAddress()).isEqualTo(pair.backup().grpcAddress());
            assertThat(b.getPeerAddress()).isEqualTo(pair.primary().grpcAddress());
            assertThat(b.getPrimaryAddress()).isEqualTo(pair.primary().grpcAddress());
            assertThat(pair.primary().dataDir()).isNotEqualTo(pair.backup().dataDir());
        }
        assertThat(pair.primary().isAlive()).isFalse();
        assertThat(pair.backup().isAlive()).isFalse();
    }

    @Test
    void pidFileNamesTheRunningNodeAndGoesWithIt() {
        NodeProcess node = NodeProcess.primary(dir).start();
        try (node) {
            assertThat(PidFile.read(node.dataDir())).contains(node.pid());
            assertThat(PidFile.process(node.dataDir())).isPresent();
        }
        assertThat(PidFile.in(node.dataDir())).doesNotExist();
    }
}
