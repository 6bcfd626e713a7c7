package dev.pbkv.server.config;

import java.nio.file.Path;

/**
 * One node of the pair as conf/settings.conf describes it ({@code nodes.primary} or {@code nodes.backup}).
 *
 * @param host     the address the node binds and its peer and clients reach it at
 * @param grpcPort client API, admin API and node-to-node replication; 0 picks a free port
 * @param respPort Redis protocol door; 0 picks a free port
 * @param httpPort HTTP door; 0 picks a free port
 * @param dataDir  absolute: store files, node.log, pbkv.pid and node.json live here
 */
public record NodeSettings(String host, int grpcPort, int respPort, int httpPort, Path dataDir) {

    /** host:grpc-port, the address clients and the peer dial. */
    public String grpcAddress() {
        return host + ":" + grpcPort;
    }
}
