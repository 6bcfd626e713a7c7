package dev.pbkv.server.coordinator;

import dev.pbkv.server.config.CoordinatorSettings;
import java.nio.file.Path;

/**
 * What the {@code coordinator} settings ask of this machine: nothing (no coordinator), an
 * ensemble that someone else runs, or the embedded coordinator on one loopback port. The scripts
 * start the embedded one only for the last (docs/coordinator.md).
 */
public sealed interface EmbeddedPlan {

    /** {@code coordinator.connect} is "off": no coordinator at all. */
    record Off() implements EmbeddedPlan {}

    /** The connect string names a server that is not on loopback, or several servers: production's ensemble. */
    record Ensemble(String connect) implements EmbeddedPlan {}

    /** One loopback address: the embedded coordinator serves it, with its data in dataDir. */
    record Embedded(String host, int port, Path dataDir) implements EmbeddedPlan {}

    static EmbeddedPlan of(CoordinatorSettings settings) {
        if (settings.off()) {
            return new Off();
        }
        String connect = settings.connect();
        // host:port[,host:port...][/chroot]: the chroot is the clients' business, not the server's.
        int chroot = connect.indexOf('/');
        String servers = chroot < 0 ? connect : connect.substring(0, chroot);
        if (servers.contains(",")) {
            return new Ensemble(connect);
        }
        int colon = servers.lastIndexOf(':');
        String host = servers.substring(0, colon);
        int port = Integer.parseInt(servers.substring(colon + 1));
        if (!isLoopback(host)) {
            return new Ensemble(connect);
        }
        return new Embedded(host.equalsIgnoreCase("localhost") ? "127.0.0.1" : host, port, settings.dataDir());
    }

    /** By name only (no DNS): localhost or an IPv4 literal in 127.0.0.0/8. */
    static boolean isLoopback(String host) {
        return host.equalsIgnoreCase("localhost") || host.matches("127\\.\\d{1,3}\\.\\d{1,3}\\.\\d{1,3}");
    }
}
