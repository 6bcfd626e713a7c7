package dev.pbkv.server.cli;

import dev.pbkv.server.Node;
import dev.pbkv.server.config.SettingsLoader;
import dev.pbkv.server.coordinator.EmbeddedCoordinator;
import dev.pbkv.server.role.Role;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.stream.Stream;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * Starts a throw-away embedded coordinator and a pair that takes its roles from it, all in this
 * JVM (free loopback ports, data in --data-dir, removed after), waits until both nodes are in
 * SYNC, and stops them. The build runs it once under
 * {@code -XX:ArchiveClassesAtExit} so that the classes a starting primary and a backup joining it
 * load, and those of the coordinator itself, are mapped from a class-data archive by every later
 * start of a node or of bin/start_coordinator (docs/performance.md, "Start and stop").
 */
@Command(
        name = "warm-up",
        hidden = true,
        mixinStandardHelpOptions = true,
        description = {"Starts and stops a throw-away pair (the build's class-data training run)."})
public final class WarmUpCommand implements Callable<Integer> {
    @Option(names = "--data-dir", paramLabel = "DIR", required = true, description = "Scratch directory (removed).")
    Path dataDir;

    @Override
    public Integer call() throws Exception {
        int primaryPort = freePort();
        int backupPort = freePort();
        EmbeddedCoordinator coordinator =
                EmbeddedCoordinator.start("127.0.0.1", freePort(), dataDir.resolve("coordinator"));
        String connect = coordinator.connectString();
        Node primary = new Node(settings(Role.PRIMARY, primaryPort, backupPort, connect));
        Node backup = new Node(settings(Role.BACKUP, primaryPort, backupPort, connect));
        try {
            primary.start();
            backup.start();
            // Until the pair is in SYNC (10 s at most), so the join's classes are in the archive too.
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (!(inSync(dataDir.resolve("p")) && inSync(dataDir.resolve("b"))) && System.nanoTime() < deadline) {
                LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(20));
            }
        } finally {
            for (Node node : new Node[] {backup, primary}) {
                node.shutdown(true);
                node.awaitTermination();
            }
            coordinator.close();
            try (Stream<Path> files = Files.walk(dataDir)) {
                files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
        return 0;
    }

    private dev.pbkv.server.config.Settings settings(Role role, int primaryPort, int backupPort, String connect) {
        SettingsLoader loader = SettingsLoader.withDefaults();
        for (String node : new String[] {"primary", "backup"}) {
            loader.set("nodes." + node + ".resp-port", "0");
            loader.set("nodes." + node + ".http-port", "0");
        }
        loader.set("nodes.primary.grpc-port", Integer.toString(primaryPort));
        loader.set("nodes.backup.grpc-port", Integer.toString(backupPort));
        loader.set("nodes.primary.data-dir", dataDir.resolve("p").toString());
        loader.set("nodes.backup.data-dir", dataDir.resolve("b").toString());
        loader.set("coordinator.connect", connect);
        loader.set("coordinator.session-timeout-ms", "1500");
        loader.set("store.memory", "16m");
        return loader.build(role);
    }

    private static boolean inSync(Path nodeDir) {
        return NodeInfoFile.read(nodeDir).map(i -> "SYNC".equals(i.state())).orElse(false);
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }
}
