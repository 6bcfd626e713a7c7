package dev.pbkv.testkit;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * {@code <data-dir>/pbkv.pid}: the one record of a node's PID. Whoever launches a node writes it
 * the moment the process exists (bin/start_server, {@link NodeProcess}), before the node has
 * bound a port, so a node that hangs while starting can still be stopped; the launcher removes it
 * once the process is gone. Scripts, tests and the tester's kill/pause commands all read this
 * file; nothing looks a node up by name ({@code ps}, {@code pgrep}). (The node's own node.json
 * also holds its pid, but only while it serves.)
 */
public final class PidFile {
    public static final String NAME = "pbkv.pid";

    private PidFile() {}

    public static Path in(Path dataDir) {
        return dataDir.resolve(NAME);
    }

    public static void write(Path dataDir, long pid) {
        try {
            Files.writeString(in(dataDir), pid + "\n");
        } catch (IOException e) {
            throw new UncheckedIOException("could not write " + in(dataDir), e);
        }
    }

    public static Optional<Long> read(Path dataDir) {
        try {
            String text = Files.readString(in(dataDir)).trim();
            return text.isEmpty() ? Optional.empty() : Optional.of(Long.parseLong(text));
        } catch (NoSuchFileException e) {
            return Optional.empty();
        } catch (IOException | NumberFormatException e) {
            return Optional.empty();
        }
    }

    public static void delete(Path dataDir) {
        try {
            Files.deleteIfExists(in(dataDir));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * The live pbkv node the file names. A PID recycled by another program is not it: the same
     * check as bin/lib/node-common.sh's is_pbkv_pid (the command line runs the server).
     */
    public static Optional<ProcessHandle> process(Path dataDir) {
        return read(dataDir)
                .flatMap(ProcessHandle::of)
                .filter(ProcessHandle::isAlive)
                .filter(p -> p.info()
                        .commandLine()
                        .map(c -> c.contains("pbkv-server") || c.contains("dev.pbkv.server.Main"))
                        .orElse(true));
    }

    /** kill -9 (which also ends a node left paused by SIGSTOP), waits until it is gone, removes the file. */
    public static void kill(Path dataDir) {
        process(dataDir).ifPresent(p -> {
            p.destroyForcibly();
            awaitExit(p, NodeProcess.STOP_TIMEOUT);
        });
        delete(dataDir);
    }

    /**
     * SIGTERM (the node's graceful shutdown), then SIGKILL if it is still running after
     * {@code grace}; removes the file. Answers how it ended: "not running", "SIGTERM" or "SIGKILL".
     */
    public static String stop(Path dataDir, Duration grace) {
        Optional<ProcessHandle> running = process(dataDir);
        String how = "not running";
        if (running.isPresent()) {
            ProcessHandle p = running.get();
            p.destroy();
            how = "SIGTERM";
            if (!awaitExit(p, grace)) {
                p.destroyForcibly();
                how = "SIGKILL";
                awaitExit(p, NodeProcess.STOP_TIMEOUT);
            }
        }
        delete(dataDir);
        return how;
    }

    static boolean awaitExit(ProcessHandle p, Duration timeout) {
        try {
            p.onExit().get(timeout.toMillis(), TimeUnit.MILLISECONDS);
            return true;
        } catch (TimeoutException e) {
            return false;
        } catch (ExecutionException e) {
            return !p.isAlive();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }
}
