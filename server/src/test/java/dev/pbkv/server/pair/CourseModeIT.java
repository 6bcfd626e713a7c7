package dev.pbkv.server.pair;

import static dev.pbkv.server.pair.PairFailoverIT.STATE_WAIT;
import static dev.pbkv.server.pair.PairFailoverIT.assertHasEvery;
import static dev.pbkv.server.pair.PairFailoverIT.awaitSync;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.pbkv.client.PbkvClient;
import dev.pbkv.proto.NodeState;
import dev.pbkv.proto.Role;
import dev.pbkv.server.Node;
import dev.pbkv.testkit.CoordinatorProcess;
import dev.pbkv.testkit.NodeProcess;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The settings the course layout is made of (conf/course.conf), each on a real pair of node
 * processes with the embedded coordinator, driven over HTTP as the course harness drives it: a
 * backup's management reads answer from its own copy and say so; without persistence nothing
 * outlives both nodes, a restarted backup catches up, and an empty pair's configured primary
 * serves alone at once; the configured primary takes its role back once it is in sync again.
 */
class CourseModeIT {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpClient HTTP =
            HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    @TempDir
    Path dir;

    private NodeProcess.PairBuilder coursePair(CoordinatorProcess zk) {
        return NodeProcess.pair(dir)
                .set("coordinator.connect", zk.connectString())
                .set("coordinator.session-timeout-ms", "1500")
                .set("replication.peer-timeout-ms", "1000")
                .set("store.persistence", "none");
    }

    private static int httpPort(NodeProcess node) {
        return node.nodeInfo().orElseThrow().path("http").asInt();
    }

    private static HttpResponse<String> get(NodeProcess node, String path) throws IOException, InterruptedException {
        return HTTP.send(
                HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + httpPort(node) + path))
                        .timeout(Duration.ofSeconds(10))
                        .GET()
                        .build(),
                HttpResponse.BodyHandlers.ofString());
    }

    private static HttpResponse<String> insert(NodeProcess node, String key, String value)
            throws IOException, InterruptedException {
        return HTTP.send(
                HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + httpPort(node) + "/kv/insert"))
                        .timeout(Duration.ofSeconds(10))
                        .header("Content-Type", "application/x-www-form-urlencoded")
                        .POST(HttpRequest.BodyPublishers.ofString("key=" + key + "&value=" + value))
                        .build(),
                HttpResponse.BodyHandlers.ofString());
    }

    private static JsonNode json(HttpResponse<String> r) throws IOException {
        return JSON.readTree(r.body());
    }

    @SuppressWarnings("unchecked")
    private static Map<String, String> httpDump(NodeProcess node) throws IOException, InterruptedException {
        HttpResponse<String> r = get(node, "/kvman/dump");
        assertThat(r.statusCode())
                .as("dump on %s: %s", node.dataDir().getFileName(), r.body())
                .isEqualTo(200);
        return JSON.readValue(r.body(), Map.class);
    }

    @Test
    void aBackupAnswersDumpAndCountkeyFromItsOwnCopyAndSaysSo() throws Exception {
        try (CoordinatorProcess zk =
                        CoordinatorProcess.in(dir.resolve("coordinator")).start();
                NodeProcess.Pair pair = coursePair(zk).start()) {
            awaitSync(pair.primary(), pair.backup());
            Map<String, String> written = new HashMap<>();
            for (int i = 0; i < 5; i++) {
                assertThat(insert(pair.primary(), "k" + i, "v" + i).statusCode())
                        .isEqualTo(200);
                written.put("k" + i, "v" + i);
            }
            JsonNode onPrimary = json(get(pair.primary(), "/kvman/countkey"));
            assertThat(onPrimary.path("result").asLong()).isEqualTo(5);
            assertThat(onPrimary.path("from").asText()).isEqualTo("primary");

            // Writes are acknowledged once the backup has them: its own copy holds all five.
            HttpResponse<String> count = get(pair.backup(), "/kvman/countkey");
            assertThat(count.statusCode()).isEqualTo(200);
            assertThat(json(count).path("result").asLong()).isEqualTo(5);
            assertThat(json(count).path("from").asText()).isEqualTo("backup");
            assertThat(json(count).path("role").asText()).isEqualTo("BACKUP");
            assertThat(json(count).path("offset").asLong()).isEqualTo(5);
            HttpResponse<String> dump = get(pair.backup(), "/kvman/dump");
            assertThat(dump.headers().firstValue("X-Pbkv-From")).hasValue("backup");
            assertThat(httpDump(pair.backup())).isEqualTo(written);

            // Other reads on a backup are refused as before, unless stale reads are allowed.
            assertThat(get(pair.backup(), "/kv/get?key=k1").statusCode()).isEqualTo(503);
            assertThat(json(get(pair.backup(), "/kv/get?key=k1&allow_stale=true"))
                            .path("value")
                            .asText())
                    .isEqualTo("v1");
        }
    }

    @Test
    void withoutPersistenceNothingOutlivesBothNodesAndARestartedBackupCatchesUp() throws Exception {
        try (CoordinatorProcess zk =
                        CoordinatorProcess.in(dir.resolve("coordinator")).start();
                NodeProcess.Pair pair =
                        coursePair(zk).set("replication.require-backup", "true").start()) {
            NodeProcess primary = pair.primary();
            NodeProcess backup = pair.backup();
            awaitSync(primary, backup);
            Map<String, String> written = new HashMap<>();
            for (int i = 0; i < 20; i++) {
                assertThat(insert(primary, "a" + i, "v" + i).statusCode()).isEqualTo(200);
                written.put("a" + i, "v" + i);
            }

            // kill -9 of the backup: its files stay on disk, but the restart does not replay them.
            backup.kill();
            assertThat(Files.exists(backup.dataDir().resolve(Node.VOLATILE_STORE_DIR)))
                    .isTrue();
            // Strict mode: once the primary knows its backup is gone, inserts are refused (one in flight
            // as it went may still be acknowledged, after the coordinator dropped the backup).
            int[] attempt = {0};
            await().atMost(STATE_WAIT).until(() -> {
                String k = "during" + attempt[0]++;
                int status = insert(primary, k, "x").statusCode();
                if (status == 200) {
                    written.put(k, "x");
                }
                return status == 503;
            });
            backup.startUp();
            awaitSync(primary, backup);
            assertThat(backup.logContains("store.persistence is none: deleted")).isTrue();
            assertThat(httpDump(backup)).isEqualTo(written);
            for (int i = 0; i < 5; i++) {
                assertThat(insert(primary, "b" + i, "v" + i).statusCode()).isEqualTo(200);
                written.put("b" + i, "v" + i);
            }
            assertThat(httpDump(backup)).isEqualTo(written);

            // Both nodes stop (the primary first: a switchover, then the new primary alone).
            assertThat(primary.stop()).isZero();
            backup.awaitState(Role.PRIMARY, NodeState.BOOTSTRAP, STATE_WAIT);
            assertThat(backup.stop()).isZero();
            assertThat(Files.exists(primary.dataDir().resolve(Node.VOLATILE_STORE_DIR)))
                    .isFalse();
            assertThat(Files.exists(backup.dataDir().resolve(Node.VOLATILE_STORE_DIR)))
                    .isFalse();

            // The data is gone with them: the configured primary re-creates the pair and serves alone at once.
            primary.startUp();
            primary.awaitState(Role.PRIMARY, NodeState.BOOTSTRAP, STATE_WAIT);
            assertThat(httpDump(primary)).isEmpty();
            assertThat(json(get(primary, "/kvman/countkey")).path("result").asLong())
                    .isZero();
            assertThat(primary.logContains("the pair's data is gone, re-created the pair with this node primary"))
                    .isTrue();
            backup.startUp();
            awaitSync(primary, backup);
            assertThat(insert(primary, "after", "1").statusCode()).isEqualTo(200);
            assertThat(httpDump(backup)).isEqualTo(Map.of("after", "1"));
        }
    }

    @Test
    void theConfiguredPrimaryTakesItsRoleBackOnceInSyncAndNoWriteIsLost() throws Exception {
        try (CoordinatorProcess zk =
                        CoordinatorProcess.in(dir.resolve("coordinator")).start();
                NodeProcess.Pair pair = coursePair(zk)
                        .set("replication.prefer-configured-primary", "true")
                        .start();
                PbkvClient client = PairFailoverIT.client(pair, Duration.ofSeconds(30))) {
            NodeProcess primary = pair.primary();
            NodeProcess backup = pair.backup();
            awaitSync(primary, backup);
            Map<String, String> acknowledged;
            try (PairFailoverIT.AckedWriter writer = new PairFailoverIT.AckedWriter(client, "w/")) {
                writer.awaitMore(200);
                // A graceful stop of -p: a switchover, the backup takes over.
                assertThat(primary.stop()).isZero();
                backup.awaitState(Role.PRIMARY, NodeState.BOOTSTRAP, STATE_WAIT);
                writer.awaitMore(200);

                // -p comes back empty, catches up, and is handed the primary role back.
                primary.startUp();
                primary.awaitState(Role.PRIMARY, NodeState.SYNC, STATE_WAIT);
                backup.awaitState(Role.BACKUP, NodeState.SYNC, STATE_WAIT);
                assertThat(backup.logContains("handed the primary role back to the configured primary"))
                        .isTrue();
                writer.awaitMore(200);
                acknowledged = writer.acknowledged;
            }
            assertThat(insert(primary, "through-p", "1").statusCode()).isEqualTo(200);
            assertHasEvery(primary, acknowledged);
            await().atMost(STATE_WAIT)
                    .untilAsserted(() -> assertThat(backup.dump()).isEqualTo(primary.dump()));
            // Stays put: the configured primary keeps the role.
            assertThat(primary.status().getRole()).isEqualTo(Role.PRIMARY);
        }
    }

    @Test
    void aPrimaryKilledAndRestartedWithoutPersistenceNeverTakesOverOnItsOldRecord() throws Exception {
        // The killed primary's session expires after 4 s; the backup takes over only after 10 s without a
        // word from it, so the restarted primary is back in between: its old leader znode is gone, the
        // record still names it and lists it in in_sync, but it holds nothing.
        try (CoordinatorProcess zk =
                CoordinatorProcess.in(dir.resolve("coordinator")).start()) {
            NodeProcess.PairBuilder builder = coursePair(zk)
                    .set("coordinator.session-timeout-ms", "4000")
                    .set("replication.require-backup", "true")
                    .set("replication.prefer-configured-primary", "true");
            builder.backup().set("replication.peer-timeout-ms", "10000");
            try (NodeProcess.Pair pair = builder.start()) {
                killAndRestartThePrimary(pair);
            }
        }
    }

    private void killAndRestartThePrimary(NodeProcess.Pair pair) throws Exception {
        NodeProcess primary = pair.primary();
        NodeProcess backup = pair.backup();
        awaitSync(primary, backup);
        Map<String, String> written = new HashMap<>();
        for (int i = 0; i < 50; i++) {
            assertThat(insert(primary, "k" + i, "v" + i).statusCode()).isEqualTo(200);
            written.put("k" + i, "v" + i);
        }
        primary.kill();
        primary.startUp();
        // The backup, which holds every write, takes over; the empty restarted node waits and joins it,
        // then (preferred) takes its role back once in sync: nothing is lost.
        primary.awaitState(Role.PRIMARY, NodeState.SYNC, STATE_WAIT);
        backup.awaitState(Role.BACKUP, NodeState.SYNC, STATE_WAIT);
        assertThat(httpDump(primary)).isEqualTo(written);
        assertThat(primary.logContains("restarted without persistence and holds nothing"))
                .isTrue();
        assertThat(backup.logContains("coordinator: promoted")).isTrue();
        assertThat(insert(primary, "after", "1").statusCode()).isEqualTo(200);
        written.put("after", "1");
        assertThat(httpDump(backup)).isEqualTo(written);
    }

    @Test
    void withoutACoordinatorTheConfiguredPrimaryTakesItsRoleBackToo() throws Exception {
        try (NodeProcess.Pair pair = NodeProcess.pair(dir)
                        .set("replication.peer-timeout-ms", "1000")
                        .set("replication.prefer-configured-primary", "true")
                        .start();
                PbkvClient client = PairFailoverIT.client(pair, Duration.ofSeconds(30))) {
            NodeProcess primary = pair.primary();
            NodeProcess backup = pair.backup();
            awaitSync(primary, backup);
            Map<String, String> acknowledged;
            try (PairFailoverIT.AckedWriter writer = new PairFailoverIT.AckedWriter(client, "n/")) {
                writer.awaitMore(100);
                assertThat(primary.stop()).isZero();
                backup.awaitState(Role.PRIMARY, NodeState.BOOTSTRAP, STATE_WAIT);
                writer.awaitMore(100);
                primary.startUp();
                primary.awaitState(Role.PRIMARY, NodeState.SYNC, STATE_WAIT);
                backup.awaitState(Role.BACKUP, NodeState.SYNC, STATE_WAIT);
                writer.awaitMore(100);
                acknowledged = writer.acknowledged;
            }
            assertHasEvery(primary, acknowledged);
            await().atMost(STATE_WAIT)
                    .untilAsserted(() -> assertThat(backup.dump()).isEqualTo(primary.dump()));
        }
    }
}
