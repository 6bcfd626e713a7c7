package dev.pbkv.server.resp;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/** Debian's redis-cli, as the integration tests run it against a node: a real client's own tool. */
public final class RedisCli {
    private static final Path CLI = Path.of("/usr/bin/redis-cli");

    private RedisCli() {}

    /**
     * redis-cli to 127.0.0.1:port with args, its stderr merged into its stdout; the calling test is
     * skipped (an assumption fails) where redis-cli is not installed.
     */
    public static ProcessBuilder command(int port, String... args) {
        assumeTrue(Files.isExecutable(CLI), "Debian's redis-cli is not installed");
        List<String> command =
                new ArrayList<>(List.of(CLI.toString(), "-h", "127.0.0.1", "-p", Integer.toString(port)));
        command.addAll(Arrays.asList(args));
        return new ProcessBuilder(command).redirectErrorStream(true);
    }
}
