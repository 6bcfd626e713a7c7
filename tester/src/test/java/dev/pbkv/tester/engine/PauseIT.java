package dev.pbkv.tester.engine;

import static org.assertj.core.api.Assertions.assertThat;

import dev.pbkv.testkit.NodeProcess;
import dev.pbkv.testkit.PidFile;
import dev.pbkv.testkit.ProcessPause;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.function.LongConsumer;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * A paused node answers nothing from the moment the pause returns, even with every core busy:
 * both ways of pausing, the tester's default pause command (bin/lib/pause-pid.sh, run as the
 * tester runs commands) and the test kit's {@link ProcessPause} (the robustness nemesis). A bare
 * {@code kill -STOP} failed this: it returns before the node's threads have stopped, and a PING
 * sent at once was answered in about half of the rounds (case 3 of test-cases/ read a value from
 * a node it had just paused, in a CI run). A real node process, its RESP door on loopback.
 */
class PauseIT {
    private static final int ROUNDS = 25;
    /** How long a paused node must stay silent after the pause returned. */
    private static final int SILENCE_MS = 200;

    @TempDir
    static Path dir;

    private static NodeProcess node;
    private static final Path ROOT = Path.of("").toAbsolutePath().getParent();

    @BeforeAll
    static void startNode() {
        NodeProcess.Builder b = NodeProcess.primary(dir.resolve("primary"));
        Path serverJar = ROOT.resolve("server/target/pbkv-server.jar");
        if (Files.isRegularFile(serverJar)) {
            b.classpath(serverJar.toString());
        }
        node = b.start();
    }

    @AfterAll
    static void stopNode() {
        if (node != null) {
            node.close(); // by its PID; SIGKILL if a failed round left it stopped
        }
    }

    static Stream<Arguments> pauses() {
        ProcessRunner shell = new ProcessRunner(ROOT, dir.resolve("commands"));
        LongConsumer command = pid -> {
            CommandOutcome o =
                    shell.shell("bin/lib/pause-pid.sh " + PidFile.in(node.dataDir()), Duration.ofSeconds(30));
            assertThat(o.succeeded()).as("the pause command: %s", o.describe()).isTrue();
        };
        return Stream.of(
                Arguments.of("bin/lib/pause-pid.sh", command),
                Arguments.of("ProcessPause.pause", (LongConsumer) ProcessPause::pause));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("pauses")
    void aPausedNodeAnswersNothingUntilItIsResumed(String how, LongConsumer pause) throws IOException {
        try (Socket s = new Socket("127.0.0.1", node.respPort());
                BusyThreads busy = BusyThreads.start(Runtime.getRuntime().availableProcessors() + 1)) {
            OutputStream out = s.getOutputStream();
            InputStream in = s.getInputStream();
            for (int round = 0; round < ROUNDS; round++) {
                pause.accept(node.pid());
                out.write("PING\r\n".getBytes(StandardCharsets.US_ASCII));
                out.flush();
                s.setSoTimeout(SILENCE_MS);
                int first;
                try {
                    first = in.read();
                } catch (SocketTimeoutException silent) {
                    first = -2;
                }
                ProcessPause.resume(node.pid());
                assertThat(first)
                        .as("round %d (%s): the node answered within %d ms of the pause", round, how, SILENCE_MS)
                        .isEqualTo(-2);
                s.setSoTimeout(10_000);
                assertThat(new String(in.readNBytes(7), StandardCharsets.US_ASCII))
                        .as("round %d: the answer once resumed", round)
                        .isEqualTo("+PONG\r\n");
            }
        }
    }
}
