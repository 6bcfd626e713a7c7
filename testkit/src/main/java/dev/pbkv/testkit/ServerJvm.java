package dev.pbkv.testkit;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * One JVM running {@code dev.pbkv.server.Main} that the test kit launched: a node
 * ({@link NodeProcess}) or the embedded coordinator ({@link CoordinatorProcess}). It owns what
 * every such process shares: the command line (this JVM's java, {@code java.io.tmpdir}, no
 * hsperfdata file in /tmp), the working directory and log file, the PID file written the moment
 * the process exists ({@link PidFile}), SIGTERM-then-SIGKILL, and the last-resort shutdown hook
 * that kills whatever a crashed test left running.
 *
 * <p>Not thread-safe: one test thread drives it.
 */
final class ServerJvm {
    /** Every process still running, for the last-resort shutdown hook. */
    private static final Set<ProcessHandle> LIVE = ConcurrentHashMap.newKeySet();

    static {
        Runtime.getRuntime()
                .addShutdownHook(new Thread(() -> LIVE.forEach(ProcessHandle::destroyForcibly), "pbkv-testkit-reaper"));
    }

    private final String name;
    private final Path dir;
    private final Path logFile;
    private final String classpath;
    private final List<String> jvmArgs;
    private final List<String> args;
    private Process process;

    /**
     * @param name     for messages ("primary", "coordinator")
     * @param dir      the working directory, where the PID file lives
     * @param logFile  stdout and stderr, appended across restarts
     * @param classpath where dev.pbkv.server.Main is
     * @param jvmArgs  the JVM's flags
     * @param args     Main's arguments
     */
    ServerJvm(String name, Path dir, Path logFile, String classpath, List<String> jvmArgs, List<String> args) {
        this.name = name;
        this.dir = dir;
        this.logFile = logFile;
        this.classpath = classpath;
        this.jvmArgs = List.copyOf(jvmArgs);
        this.args = List.copyOf(args);
    }

    /** Launches the process (in the background) and writes its PID file. */
    void launch() {
        if (isAlive()) {
            throw new IllegalStateException(name + " is already running (pid " + process.pid() + ")");
        }
        try {
            Files.createDirectories(dir);
            List<String> cmd = new ArrayList<>();
            cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
            cmd.addAll(jvmArgs);
            cmd.add("-Dpbkv.logging=node"); // the node's own logging, not the tests' logback-test.xml
            cmd.add("-Djava.io.tmpdir=" + System.getProperty("java.io.tmpdir"));
            cmd.add("-XX:-UsePerfData"); // a killed JVM would leave /tmp/hsperfdata_<user>/<pid> behind
            cmd.add("-cp");
            cmd.add(classpath);
            cmd.add("dev.pbkv.server.Main");
            cmd.addAll(args);
            Files.writeString(
                    logFile,
                    "### " + String.join(" ", args) + "\n",
                    StandardOpenOption.CREATE,
                    StandardOpenOption.APPEND);
            process = new ProcessBuilder(cmd)
                    .directory(dir.toFile())
                    .redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.appendTo(logFile.toFile()))
                    .start();
            LIVE.add(process.toHandle());
            PidFile.write(dir, process.pid());
        } catch (IOException e) {
            throw new UncheckedIOException("could not start " + name, e);
        }
    }

    boolean started() {
        return process != null;
    }

    boolean isAlive() {
        return process != null && process.isAlive();
    }

    long pid() {
        if (process == null) {
            throw new IllegalStateException(name + " has not been started");
        }
        return process.pid();
    }

    int exitValue() {
        return process.exitValue();
    }

    /** Fails (with the log tail) when the process has exited: for the wait loops of the callers. */
    void checkAlive(String while_) {
        if (!isAlive()) {
            throw new IllegalStateException(
                    name + " exited with " + process.exitValue() + " " + while_ + "; log tail:\n" + logTail(40));
        }
    }

    /** Waits for the process to exit; true if it did in time (then its PID file is gone too). */
    boolean waitForExit(Duration timeout) {
        try {
            boolean exited = process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS);
            if (exited) {
                LIVE.remove(process.toHandle());
                PidFile.delete(dir);
            }
            return exited;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    /** kill -9 (which also ends a process left paused by SIGSTOP), then waits until it is gone. */
    void kill(Duration timeout) {
        if (process == null) {
            return;
        }
        process.destroyForcibly();
        waitForExit(timeout);
    }

    /** SIGTERM, then SIGKILL if it takes longer than grace; returns the exit code (0 if never started). */
    int stop(Duration grace) {
        if (!isAlive()) {
            return process == null ? 0 : process.exitValue();
        }
        process.destroy();
        if (!waitForExit(grace)) {
            process.destroyForcibly();
            waitForExit(grace);
        }
        return process.exitValue();
    }

    /** Lets the process outlive this JVM: the shutdown hook no longer kills it. */
    void detach() {
        if (process != null) {
            LIVE.remove(process.toHandle());
        }
    }

    String logTail(int lines) {
        try {
            List<String> all = Files.readAllLines(logFile);
            return String.join("\n", all.subList(Math.max(0, all.size() - lines), all.size()));
        } catch (IOException e) {
            return "(no log: " + e + ")";
        }
    }
}
