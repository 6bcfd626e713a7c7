package dev.pbkv.testkit;

import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The embedded coordinator (one standalone ZooKeeper, {@code pbkv-server.jar coordinator}) in its
 * own JVM, for tests and the robustness nemesis: on a free loopback port chosen once (restarts
 * keep it, so the nodes' connect string stays right), its data in a directory of the test's
 * (restarts keep that too), output in {@code <data-dir>/coordinator.log}, PID in
 * {@code <data-dir>/pbkv.pid}. Ready means it answers the {@code srvr} four-letter word as a
 * serving server ({@code ruok} alone answers "imok" even from a server that failed to load its
 * database). It is launched as {@link NodeProcess} launches nodes ({@link ServerJvm}).
 *
 * <pre>{@code
 * try (CoordinatorProcess zk = CoordinatorProcess.in(tempDir.resolve("coordinator")).start();
 *      NodeProcess.Pair pair = NodeProcess.pair(tempDir).set("coordinator.connect", zk.connectString()).start()) {
 *     zk.kill9(); ... zk.restart();
 * }
 * }</pre>
 *
 * <p>The classpath is {@link Builder#classpath(String)}, else the system property
 * {@code pbkv.node.classpath}, else this JVM's own (a test classpath that holds the server).
 * Not thread-safe: one test thread drives it.
 */
public final class CoordinatorProcess implements AutoCloseable {
    /** How long the coordinator may take to start or stop on a busy machine. */
    public static final Duration START_TIMEOUT = Duration.ofSeconds(60);

    public static final Duration STOP_TIMEOUT = Duration.ofSeconds(30);
    public static final String LOG_FILE = "coordinator.log";

    private final int port;
    private final Path dataDir;
    private final ServerJvm jvm;

    private CoordinatorProcess(int port, Path dataDir, String classpath, List<String> jvmArgs) {
        this.port = port;
        this.dataDir = dataDir;
        List<String> args = List.of("coordinator", "--port", Integer.toString(port), "--data-dir", dataDir.toString());
        this.jvm = new ServerJvm("coordinator", dataDir, dataDir.resolve(LOG_FILE), classpath, jvmArgs, args);
    }

    /** A coordinator with its data in exactly this directory, on a free loopback port. */
    public static Builder in(Path dataDir) {
        return new Builder(dataDir);
    }

    public static final class Builder {
        private final Path dataDir;
        private int port;
        private String classpath = System.getProperty("pbkv.node.classpath", System.getProperty("java.class.path"));
        private final List<String> jvmArgs =
                new ArrayList<>(List.of("-Xmx128m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-Xshare:auto"));

        private Builder(Path dataDir) {
            this.dataDir = dataDir.toAbsolutePath();
        }

        /**
         * A fixed port instead of a free one from {@link FreePorts#take()} (which is in the kernel's
         * ephemeral range: while a killed coordinator is down, an outgoing connection may be given
         * its port; a run with many kills may prefer a port outside that range).
         */
        public Builder port(int port) {
            this.port = port;
            return this;
        }

        /** Where dev.pbkv.server.Main is: e.g. server/target/pbkv-server.jar. */
        public Builder classpath(String cp) {
            this.classpath = cp;
            return this;
        }

        /** Replaces the default JVM flags (small heap, fast start). */
        public Builder jvmArgs(String... flags) {
            jvmArgs.clear();
            jvmArgs.addAll(Arrays.asList(flags));
            return this;
        }

        public CoordinatorProcess build() {
            return new CoordinatorProcess(port != 0 ? port : FreePorts.take(), dataDir, classpath, jvmArgs);
        }

        /** Builds, starts and waits until it serves. */
        public CoordinatorProcess start() {
            return build().start();
        }
    }

    /** Launches it and waits until it serves; on failure the exception carries its log tail. */
    public CoordinatorProcess start() {
        startNoWait();
        return awaitServing();
    }

    /** Launches it without waiting (see {@link #awaitServing()}). */
    public CoordinatorProcess startNoWait() {
        // Two servers on one data directory would corrupt it: the one the PID file names stays alone.
        PidFile.process(dataDir).ifPresent(p -> {
            throw new IllegalStateException(
                    "a coordinator is already running in " + dataDir + " (pid " + p.pid() + ")");
        });
        jvm.launch();
        return this;
    }

    /** Waits until it answers {@code srvr} as a serving ZooKeeper (a process that exits meanwhile fails the wait). */
    public CoordinatorProcess awaitServing() {
        await("coordinator on " + connectString() + " serving")
                .atMost(START_TIMEOUT)
                .pollInterval(Duration.ofMillis(100))
                .until(() -> {
                    jvm.checkAlive("while starting");
                    return isServing();
                });
        return this;
    }

    /** Whether a ZooKeeper that serves answers on the port now (a {@code srvr} four-letter word). */
    public boolean isServing() {
        return fourLetterWord("srvr").startsWith("Zookeeper version:");
    }

    /**
     * Sends a four-letter word ({@code ruok} or {@code srvr}: the only two it allows) and answers the
     * reply, or "" when nothing answers within a second.
     */
    public String fourLetterWord(String word) {
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress("127.0.0.1", port), 1000);
            s.setSoTimeout(1000);
            OutputStream out = s.getOutputStream();
            out.write(word.getBytes(StandardCharsets.US_ASCII));
            out.flush();
            InputStream in = s.getInputStream();
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            return "";
        }
    }

    /** The ZooKeeper connect string of this coordinator: 127.0.0.1:port. */
    public String connectString() {
        return "127.0.0.1:" + port;
    }

    public int port() {
        return port;
    }

    public Path dataDir() {
        return dataDir;
    }

    public Path logFile() {
        return dataDir.resolve(LOG_FILE);
    }

    public long pid() {
        return jvm.pid();
    }

    public boolean isAlive() {
        return jvm.isAlive();
    }

    public String logTail(int lines) {
        return jvm.logTail(lines);
    }

    /** SIGTERM (a clean stop: the server closes, its data stays), then SIGKILL after {@link #STOP_TIMEOUT}; the exit code. */
    public int stop() {
        return jvm.stop(STOP_TIMEOUT);
    }

    /** kill -9 (also ends it when paused by SIGSTOP), then waits until it is gone. Its data stays. */
    public void kill9() {
        jvm.kill(STOP_TIMEOUT);
    }

    /** Starts again on the same port and data directory (stopping it first if it runs), and waits until it serves. */
    public CoordinatorProcess restart() {
        if (isAlive()) {
            stop();
        }
        return start();
    }

    /** Stops it (SIGTERM, then SIGKILL) if it was started. */
    @Override
    public void close() {
        try {
            stop();
        } finally {
            jvm.detach();
        }
    }
}
