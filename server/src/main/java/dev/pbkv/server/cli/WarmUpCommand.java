package dev.pbkv.server.cli;

import dev.pbkv.server.Node;
import dev.pbkv.server.config.SettingsLoader;
import dev.pbkv.server.role.Role;
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
 * Starts a throw-away node (free loopback ports, no peer that answers, no coordinator, its data in
 * --data-dir, removed after) and stops it. The build runs it once under
 * {@code -XX:ArchiveClassesAtExit} so that the classes a node loads while starting are mapped from
 * a class-data archive by every later start (docs/performance.md, "Start and stop").
 */
@Command(
        name = "warm-up",
        hidden = true,
        mixinStandardHelpOptions = true,
        description = {"Starts and stops a throw-away node (the build's class-data training run)."})
public final class WarmUpCommand implements Callable<Integer> {
    @Option(names = "--data-dir", paramLabel = "DIR", required = true, description = "Scratch directory (removed).")
    Path dataDir;

    @Override
    public Integer call() throws Exception {
        SettingsLoader loader = SettingsLoader.withDefaults();
        for (String port : new String[] {"grpc-port", "resp-port", "http-port"}) {
            loader.set("nodes.primary." + port, "0");
        }
        loader.set("nodes.primary.data-dir", dataDir.toString());
        loader.set("coordinator.connect", "off");
        // Port 1 on loopback: nothing listens, so the probe is refused and the node goes on alone.
        loader.peer("127.0.0.1:1");
        Node node = new Node(loader.build(Role.PRIMARY));
        try {
            node.start();
            // Until it went on alone, so the role change's classes are in the archive too (3 s at most).
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(3);
            while (NodeInfoFile.read(dataDir)
                            .map(i -> "COLD_START".equals(i.state()))
                            .orElse(true)
                    && System.nanoTime() < deadline) {
                LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(20));
            }
        } finally {
            node.shutdown(true);
            node.awaitTermination();
            try (Stream<Path> files = Files.walk(dataDir)) {
                files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
        return 0;
    }
}
