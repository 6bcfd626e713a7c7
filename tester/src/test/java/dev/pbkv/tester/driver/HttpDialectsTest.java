package dev.pbkv.tester.driver;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.pbkv.tester.fake.DialectHttpNode;
import dev.pbkv.tester.fake.DialectHttpNode.Dialect;
import dev.pbkv.tester.fake.RawSocketServer;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The HTTP driver against fake servers in each dialect of the course contract seen so far. */
class HttpDialectsTest {
    private static final Duration DEADLINE = Duration.ofSeconds(5);

    private static void assertFailed(OpResult r, String code) {
        assertThat(r)
                .isInstanceOfSatisfying(
                        OpResult.Failed.class, f -> assertThat(f.code()).isEqualTo(code));
    }

    @Test
    void theCourseServer() throws Exception {
        try (DialectHttpNode primary = new DialectHttpNode(Dialect.COURSE, true, Duration.ofMillis(300));
                DialectHttpNode backup = new DialectHttpNode(Dialect.COURSE, false, Duration.ofMillis(300))) {
            HttpDriver p = new HttpDriver(primary.baseUrl(), DEADLINE);
            HttpDriver b = new HttpDriver(backup.baseUrl(), DEADLINE);

            // Up through countkey; /health (unknown to it, answered late) asked once, never again.
            assertThat(p.status()).isEqualTo(new OpResult.Status(null, null));
            assertThat(p.status()).isEqualTo(new OpResult.Status(null, null));
            assertThat(p.status()).isEqualTo(new OpResult.Status(null, null));
            assertThat(primary.unknownPathRequests()).isEqualTo(1);

            assertThat(p.insert("k1", "v1")).isEqualTo(new OpResult.Done());
            assertThat(p.insert("k1", "again")).isInstanceOf(OpResult.Failed.class);
            assertThat(p.insert("k2", "")).isEqualTo(new OpResult.Done());
            assertThat(p.get("k2")).isEqualTo(new OpResult.Value(""));
            // {"success":"false","value":""} with HTTP 200 is a missing key, not a failure.
            assertThat(p.get("nokey")).isEqualTo(new OpResult.Missing());
            assertThat(p.exists("nokey")).isEqualTo(new OpResult.Flag(false));
            assertThat(p.update("nokey", "x")).isInstanceOf(OpResult.Failed.class);
            assertThat(p.delete("nokey")).isInstanceOf(OpResult.Failed.class);
            assertThat(p.put("k1", "v1b")).isEqualTo(new OpResult.Done());
            assertThat(p.get("k1")).isEqualTo(new OpResult.Value("v1b"));

            // countkey's result is a string; the primary dumps pairs, the backup an object.
            assertThat(p.count()).isEqualTo(new OpResult.Count(2));
            OpResult pairs = p.dump(true);
            assertThat(pairs).isEqualTo(new OpResult.Dump(Map.of("k1", "v1b", "k2", "")));
            assertThat(pairs.describe()).isEqualTo("{ k1 v1b k2 \"\" }");
            backup.data().putAll(primary.data());
            assertThat(b.dump(true)).isEqualTo(pairs);
            assertThat(b.count()).isEqualTo(new OpResult.Count(2));
        }
    }

    @Test
    void theCourseServerWhenUnknownPathsTakeLongerThanTheDeadline() throws Exception {
        try (DialectHttpNode node = new DialectHttpNode(Dialect.COURSE, true, Duration.ofSeconds(3))) {
            HttpDriver d = new HttpDriver(node.baseUrl(), Duration.ofSeconds(1));
            // A cold JVM's first exchange can take longer than the short deadline: warm up first.
            await().atMost(Duration.ofSeconds(20)).until(() -> d.count() instanceof OpResult.Count);
            assertThat(d.status()).isEqualTo(new OpResult.Status(null, null));
            assertThat(d.status()).isEqualTo(new OpResult.Status(null, null));
            assertThat(node.unknownPathRequests()).isEqualTo(1);
        }
    }

    @Test
    void anotherTeamsServerSaysKeyNotExists() throws Exception {
        try (DialectHttpNode node = new DialectHttpNode(Dialect.OTHER_TEAM, true, Duration.ZERO)) {
            HttpDriver d = new HttpDriver(node.baseUrl(), DEADLINE);
            assertThat(d.status()).isEqualTo(new OpResult.Status(null, null));
            assertThat(d.get("k")).isEqualTo(new OpResult.Missing());
            assertFailed(d.update("k", "v"), FailureCode.NOT_FOUND);
            assertFailed(d.delete("k"), FailureCode.NOT_FOUND);
            assertThat(d.insert("k", "v")).isEqualTo(new OpResult.Done());
            assertFailed(d.insert("k", "v"), FailureCode.ALREADY_EXISTS);
            assertThat(d.count()).isEqualTo(new OpResult.Count(1));
            assertThat(d.dump(true)).isEqualTo(new OpResult.Dump(Map.of("k", "v")));
            d.status();
            assertThat(node.unknownPathRequests()).isEqualTo(1);
        }
    }

    @Test
    void pbkvsOwnDialectKeepsItsCodesAndItsStates() throws Exception {
        try (DialectHttpNode node = new DialectHttpNode(Dialect.PBKV, false, Duration.ZERO)) {
            HttpDriver d = new HttpDriver(node.baseUrl(), DEADLINE);
            assertThat(d.status()).isEqualTo(new OpResult.Status("SYNC", "BACKUP"));
            assertThat(d.status()).isEqualTo(new OpResult.Status("SYNC", "BACKUP"));
            assertThat(node.unknownPathRequests()).isZero();
            assertThat(d.get("k")).isEqualTo(new OpResult.Missing());
            assertFailed(d.update("k", "v"), FailureCode.NOT_FOUND);
            assertThat(d.insert("k", "v")).isEqualTo(new OpResult.Done());
            assertFailed(d.insert("k", "v"), FailureCode.ALREADY_EXISTS);
            assertFailed(d.insert("", "v"), FailureCode.INVALID_ARGUMENT);
            assertFailed(d.get(""), FailureCode.INVALID_ARGUMENT);
            assertThat(d.count()).isEqualTo(new OpResult.Count(1));
        }
    }

    @Test
    void aTimeoutNamesTheSettingToRaise() throws Exception {
        try (RawSocketServer silent = RawSocketServer.silent()) {
            HttpDriver d = new HttpDriver(
                    "http://127.0.0.1:" + silent.port(),
                    Duration.ofMillis(300),
                    "raise timeouts.request_ms in conf/pbkv-test.conf");
            assertThat(d.get("k")).isInstanceOfSatisfying(OpResult.Failed.class, f -> {
                assertThat(f.code()).isEqualTo(FailureCode.DEADLINE_EXCEEDED);
                assertThat(f.message())
                        .isEqualTo(
                                "no complete answer within 300 ms; raise timeouts.request_ms in conf/pbkv-test.conf");
            });
        }
    }
}
