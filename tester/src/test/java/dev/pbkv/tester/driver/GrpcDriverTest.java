package dev.pbkv.tester.driver;

import static org.assertj.core.api.Assertions.assertThat;

import dev.pbkv.proto.NodeState;
import dev.pbkv.proto.Role;
import dev.pbkv.tester.fake.FakeGrpcNode;
import dev.pbkv.tester.fake.RawSocketServer;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class GrpcDriverTest {
    private FakeGrpcNode node;
    private GrpcDriver driver;

    @BeforeEach
    void start() throws Exception {
        node = new FakeGrpcNode(Role.PRIMARY);
        driver = new GrpcDriver(node.address(), Duration.ofSeconds(2));
    }

    @AfterEach
    void stop() throws Exception {
        driver.close();
        node.close();
    }

    @Test
    void everyOperationAnswersWithAValue() {
        assertThat(driver.insert("k", "v1")).isEqualTo(new OpResult.Done());
        assertThat(driver.insert("k", "v2"))
                .isInstanceOfSatisfying(
                        OpResult.Failed.class, f -> assertThat(f.code()).isEqualTo("ALREADY_EXISTS"));
        assertThat(driver.get("k")).isEqualTo(new OpResult.Value("v1"));
        assertThat(driver.update("k", "v2")).isEqualTo(new OpResult.Done());
        assertThat(driver.update("nope", "x"))
                .isInstanceOfSatisfying(
                        OpResult.Failed.class, f -> assertThat(f.code()).isEqualTo("NOT_FOUND"));
        assertThat(driver.put("p", "q")).isEqualTo(new OpResult.Done());
        assertThat(driver.exists("p")).isEqualTo(new OpResult.Flag(true));
        assertThat(driver.exists("zz")).isEqualTo(new OpResult.Flag(false));
        assertThat(driver.count()).isEqualTo(new OpResult.Count(2));
        assertThat(driver.dump(true)).isEqualTo(new OpResult.Dump(Map.of("k", "v2", "p", "q")));
        assertThat(driver.delete("p")).isEqualTo(new OpResult.Done());
        assertThat(driver.delete("p"))
                .isInstanceOfSatisfying(
                        OpResult.Failed.class, f -> assertThat(f.code()).isEqualTo("NOT_FOUND"));
        assertThat(driver.get("p")).isEqualTo(new OpResult.Missing());
        assertThat(driver.insert("", "v"))
                .isInstanceOfSatisfying(
                        OpResult.Failed.class, f -> assertThat(f.code()).isEqualTo("INVALID_ARGUMENT"));
    }

    @Test
    void statusPromoteAndShutdown() {
        node.setState(NodeState.BOOTSTRAP);
        node.setRole(Role.BACKUP);
        assertThat(driver.status()).isEqualTo(new OpResult.Status("BOOTSTRAP", "BACKUP"));
        assertThat(driver.promote()).isEqualTo(new OpResult.Done());
        assertThat(driver.promote())
                .isInstanceOfSatisfying(
                        OpResult.Failed.class, f -> assertThat(f.code()).isEqualTo("FAILED_PRECONDITION"));
        assertThat(driver.shutdown()).isEqualTo(new OpResult.Done());
        assertThat(driver.status())
                .isInstanceOfSatisfying(
                        OpResult.Failed.class, f -> assertThat(f.unreachable()).isTrue());
    }

    @Test
    void refusedConnectionIsAnUnavailableResult() throws Exception {
        try (GrpcDriver d = new GrpcDriver("127.0.0.1:" + RawSocketServer.closedPort(), Duration.ofSeconds(2))) {
            OpResult r = d.get("k");
            assertThat(r).isInstanceOfSatisfying(OpResult.Failed.class, f -> {
                assertThat(f.code()).isEqualTo("UNAVAILABLE");
                assertThat(f.unreachable()).isTrue();
            });
            assertThat(d.insert("k", "v")).isInstanceOf(OpResult.Failed.class);
            assertThat(d.dump(true)).isInstanceOf(OpResult.Failed.class);
            assertThat(d.status()).isInstanceOf(OpResult.Failed.class);
        }
    }

    @Test
    void garbageAnswerIsAFailedResult() throws Exception {
        try (RawSocketServer garbage = RawSocketServer.garbage();
                GrpcDriver d = new GrpcDriver("127.0.0.1:" + garbage.port(), Duration.ofSeconds(2))) {
            assertThat(d.put("k", "v")).isInstanceOf(OpResult.Failed.class);
            assertThat(d.get("k")).isInstanceOf(OpResult.Failed.class);
            assertThat(d.count()).isInstanceOf(OpResult.Failed.class);
        }
    }

    @Test
    void silentServerTimesOutWithinTheDeadline() throws Exception {
        try (RawSocketServer silent = RawSocketServer.silent();
                GrpcDriver d = new GrpcDriver("127.0.0.1:" + silent.port(), Duration.ofMillis(300))) {
            long t0 = System.nanoTime();
            OpResult r = d.get("k");
            long millis = (System.nanoTime() - t0) / 1_000_000;
            assertThat(r)
                    .isInstanceOfSatisfying(
                            OpResult.Failed.class, f -> assertThat(f.code()).isEqualTo("DEADLINE_EXCEEDED"));
            assertThat(millis).isLessThan(3000);
        }
    }

    @Test
    void httpOnAGrpcPortIsAFailedResult() throws Exception {
        try (RawSocketServer stalling = RawSocketServer.stalling();
                GrpcDriver d = new GrpcDriver("127.0.0.1:" + stalling.port(), Duration.ofMillis(500))) {
            assertThat(d.dump(true)).isInstanceOf(OpResult.Failed.class);
            assertThat(d.status()).isInstanceOf(OpResult.Failed.class);
        }
    }

    @Test
    void nodeThatComesBackIsReachedAgain() {
        node.setUp(false);
        assertThat(driver.get("k"))
                .isInstanceOfSatisfying(
                        OpResult.Failed.class, f -> assertThat(f.code()).isEqualTo("UNAVAILABLE"));
        node.setUp(true);
        driver.reconnectNow();
        assertThat(driver.insert("k", "v")).isEqualTo(new OpResult.Done());
    }
}
