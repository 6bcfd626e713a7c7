package dev.pbkv.tester.driver;

import static org.assertj.core.api.Assertions.assertThat;

import com.sun.net.httpserver.HttpServer;
import dev.pbkv.tester.fake.FakeHttpNode;
import dev.pbkv.tester.fake.RawSocketServer;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class HttpDriverTest {
    private FakeHttpNode node;
    private HttpDriver driver;

    @BeforeEach
    void start() throws Exception {
        node = new FakeHttpNode();
        driver = new HttpDriver(node.baseUrl(), Duration.ofSeconds(2));
    }

    @AfterEach
    void stop() {
        driver.close();
        node.close();
    }

    @Test
    void everyOperationOverTheContract() {
        assertThat(driver.insert("a key", "v 1&=")).isEqualTo(new OpResult.Done());
        assertThat(node.data()).containsEntry("a key", "v 1&=");
        assertThat(driver.insert("a key", "x"))
                .isInstanceOfSatisfying(
                        OpResult.Failed.class, f -> assertThat(f.code()).isEqualTo("ALREADY_EXISTS"));
        assertThat(driver.get("a key")).isEqualTo(new OpResult.Value("v 1&="));
        assertThat(driver.update("a key", "v2")).isEqualTo(new OpResult.Done());
        assertThat(driver.update("nope", "x"))
                .isInstanceOfSatisfying(
                        OpResult.Failed.class, f -> assertThat(f.code()).isEqualTo("NOT_FOUND"));
        assertThat(driver.get("nope")).isEqualTo(new OpResult.Missing());
        assertThat(driver.exists("a key")).isEqualTo(new OpResult.Flag(true));
        assertThat(driver.exists("nope")).isEqualTo(new OpResult.Flag(false));
        assertThat(driver.count()).isEqualTo(new OpResult.Count(1));
        assertThat(node.lastCountkeyQuery()).isEqualTo("allow_stale=true");
        assertThat(driver.dump(true)).isEqualTo(new OpResult.Dump(Map.of("a key", "v2")));
        assertThat(driver.delete("a key")).isEqualTo(new OpResult.Done());
        assertThat(driver.delete("a key"))
                .isInstanceOfSatisfying(
                        OpResult.Failed.class, f -> assertThat(f.code()).isEqualTo("NOT_FOUND"));
        assertThat(driver.insert("", "v"))
                .isInstanceOfSatisfying(
                        OpResult.Failed.class, f -> assertThat(f.code()).isEqualTo("INVALID_ARGUMENT"));
        assertThat(driver.shutdown()).isEqualTo(new OpResult.Done());
    }

    @Test
    void putInsertsThenUpdates() {
        assertThat(driver.put("k", "1")).isEqualTo(new OpResult.Done());
        assertThat(driver.put("k", "2")).isEqualTo(new OpResult.Done());
        assertThat(node.data()).containsEntry("k", "2");
    }

    @Test
    void statusFromHealthOrFromCountkey() {
        assertThat(driver.status()).isEqualTo(new OpResult.Status("SYNC", "PRIMARY"));
        node.setHealth("ok");
        assertThat(driver.status()).isEqualTo(new OpResult.Status(null, null));
        node.setHealth(null);
        assertThat(driver.status()).isEqualTo(new OpResult.Status(null, null));
    }

    @Test
    void promoteIsUnsupported() {
        assertThat(driver.promote())
                .isInstanceOfSatisfying(
                        OpResult.Failed.class, f -> assertThat(f.code()).isEqualTo("UNSUPPORTED"));
    }

    @Test
    void refusedConnectionIsUnavailable() throws Exception {
        HttpDriver d = new HttpDriver("http://127.0.0.1:" + RawSocketServer.closedPort(), Duration.ofSeconds(2));
        assertThat(d.get("k"))
                .isInstanceOfSatisfying(
                        OpResult.Failed.class, f -> assertThat(f.unreachable()).isTrue());
        assertThat(d.insert("k", "v"))
                .isInstanceOfSatisfying(
                        OpResult.Failed.class, f -> assertThat(f.unreachable()).isTrue());
        assertThat(d.status())
                .isInstanceOfSatisfying(
                        OpResult.Failed.class, f -> assertThat(f.unreachable()).isTrue());
        assertThat(d.dump(true)).isInstanceOf(OpResult.Failed.class);
    }

    @Test
    void garbageOnTheSocketIsAFailedResult() throws Exception {
        try (RawSocketServer garbage = RawSocketServer.garbage()) {
            HttpDriver d = new HttpDriver("http://127.0.0.1:" + garbage.port(), Duration.ofSeconds(2));
            assertThat(d.get("k")).isInstanceOf(OpResult.Failed.class);
            assertThat(d.count()).isInstanceOf(OpResult.Failed.class);
            assertThat(d.put("k", "v")).isInstanceOf(OpResult.Failed.class);
        }
    }

    @Test
    void httpAnswersThatBreakTheContractAreBadAnswers() throws Exception {
        HttpServer s = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        s.createContext("/", x -> {
            byte[] body = "<html>hello</html>".getBytes(StandardCharsets.UTF_8);
            x.sendResponseHeaders(200, body.length);
            x.getResponseBody().write(body);
            x.close();
        });
        s.start();
        try {
            HttpDriver d = new HttpDriver("http://127.0.0.1:" + s.getAddress().getPort(), Duration.ofSeconds(2));
            assertThat(d.get("k"))
                    .isInstanceOfSatisfying(
                            OpResult.Failed.class, f -> assertThat(f.code()).isEqualTo("BAD_ANSWER"));
            assertThat(d.count())
                    .isInstanceOfSatisfying(
                            OpResult.Failed.class, f -> assertThat(f.code()).isEqualTo("BAD_ANSWER"));
            assertThat(d.dump(true)).isInstanceOfSatisfying(OpResult.Failed.class, f -> {
                assertThat(f.code()).isEqualTo("BAD_ANSWER");
                assertThat(f.message())
                        .isEqualTo("expected a dump as a JSON object {\"k\":\"v\",...} or a list of pairs"
                                + " [[\"k\",\"v\"],...], got: <html>hello</html>");
            });
        } finally {
            s.stop(0);
        }
    }

    @Test
    void aBodyThatNeverEndsTimesOut() throws Exception {
        try (RawSocketServer stalling = RawSocketServer.stalling()) {
            HttpDriver d = new HttpDriver("http://127.0.0.1:" + stalling.port(), Duration.ofMillis(500));
            long t0 = System.nanoTime();
            assertThat(d.dump(true))
                    .isInstanceOfSatisfying(
                            OpResult.Failed.class, f -> assertThat(f.code()).isEqualTo("DEADLINE_EXCEEDED"));
            assertThat((System.nanoTime() - t0) / 1_000_000).isLessThan(5_000);
        }
    }

    @Test
    void silentServerTimesOut() throws Exception {
        try (RawSocketServer silent = RawSocketServer.silent()) {
            HttpDriver d = new HttpDriver("http://127.0.0.1:" + silent.port(), Duration.ofMillis(300));
            assertThat(d.get("k"))
                    .isInstanceOfSatisfying(
                            OpResult.Failed.class, f -> assertThat(f.code()).isEqualTo("DEADLINE_EXCEEDED"));
        }
    }
}
