package dev.pbkv.tester.engine;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Runs an external program with a time limit. Its output goes to a file rather than a pipe: a
 * start script leaves a server running that inherits the output, and a pipe would then never end.
 */
public final class ProcessRunner {
    private static final int TAIL_BYTES = 4000;

    private final Path workdir;
    private final Path logDir;

    /** Runs programs in {@code workdir}; keeps their output in {@code logDir}. */
    public ProcessRunner(Path workdir, Path logDir) {
        this.workdir = workdir;
        this.logDir = logDir;
    }

    /** Runs {@code bash -c command}. */
    public CommandOutcome shell(String command, Duration timeout) {
        return run(List.of("bash", "-c", command), timeout);
    }

    /** Runs a program with arguments; never throws. */
    public CommandOutcome run(List<String> argv, Duration timeout) {
        Path log;
        try {
            Files.createDirectories(logDir);
            log = Files.createTempFile(logDir, "cmd-", ".log");
        } catch (IOException e) {
            return new CommandOutcome(-1, "cannot create a log file in " + logDir + ": " + e.getMessage(), false);
        }
        Process p;
        try {
            p = new ProcessBuilder(argv)
                    .directory(workdir.toFile())
                    .redirectErrorStream(true)
                    .redirectOutput(log.toFile())
                    .redirectInput(ProcessBuilder.Redirect.from(nullDevice()))
                    .start();
        } catch (IOException e) {
            return new CommandOutcome(-1, "cannot run " + argv.get(0) + ": " + e.getMessage(), false);
        }
        try {
            boolean ended = p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS);
            if (!ended) {
                p.descendants().forEach(ProcessHandle::destroyForcibly);
                p.destroyForcibly();
                return new CommandOutcome(-1, tail(log), true);
            }
            return new CommandOutcome(p.exitValue(), tail(log), false);
        } catch (InterruptedException e) {
            p.destroyForcibly();
            Thread.currentThread().interrupt();
            return new CommandOutcome(-1, "interrupted", false);
        }
    }

    private static java.io.File nullDevice() {
        return new java.io.File(System.getProperty("os.name").startsWith("Windows") ? "NUL" : "/dev/null");
    }

    private static String tail(Path log) {
        try {
            byte[] all = Files.readAllBytes(log);
            int from = Math.max(0, all.length - TAIL_BYTES);
            return new String(all, from, all.length - from, StandardCharsets.UTF_8);
        } catch (IOException e) {
            return "(output unreadable: " + e.getMessage() + ")";
        }
    }
}
