package dev.pbkv.tester.robustness;

import dev.pbkv.testkit.FreePorts;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import org.apache.curator.test.InstanceSpec;
import org.apache.curator.test.TestingServer;

/**
 * A standalone ZooKeeper inside the tester's JVM (curator-test's {@link TestingServer}) on a port
 * outside the ephemeral range, its data in the run's directory, kept across stop and restart.
 * Tick 200 ms, so sessions of 0.4 to 4 s are allowed. A stand-in until the project's coordinator
 * process is in the build: {@link #kill9()} here is an abrupt stop of the server inside this JVM,
 * not a process kill.
 */
final class InProcessCoordinator implements Coordinator {
    private final Path dataDir;
    private final int port;
    private TestingServer server;

    InProcessCoordinator(Path dataDir) {
        this.dataDir = dataDir;
        this.port = FreePorts.takeOutsideEphemeralRange(1)[0];
    }

    @Override
    public boolean available() {
        return true;
    }

    @Override
    public String address() {
        return "127.0.0.1:" + port;
    }

    @Override
    public synchronized void start() {
        if (server != null) {
            return;
        }
        try {
            server = new TestingServer(new InstanceSpec(dataDir.toFile(), port, -1, -1, false, -1, 200, -1), true);
        } catch (Exception e) {
            throw new IllegalStateException("could not start the in-process coordinator on " + address(), e);
        }
    }

    @Override
    public synchronized void stop() {
        try {
            server.stop();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    public void kill9() {
        stop();
    }

    @Override
    public synchronized void restart() {
        try {
            server.restart();
        } catch (Exception e) {
            throw new IllegalStateException("could not restart the in-process coordinator on " + address(), e);
        }
    }

    @Override
    public synchronized void close() {
        if (server != null) {
            try {
                server.close();
            } catch (IOException ignored) {
                // closing at the end of a run
            }
            server = null;
        }
    }
}
