package dev.pbkv.server.resp;

import static org.assertj.core.api.Assertions.assertThat;

import dev.pbkv.testkit.NodeProcess;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import redis.clients.jedis.Jedis;

/**
 * The connection limits reach a real node process from its settings: limits.max-connections
 * refuses the third RESP client with Redis's error, and /metrics and INFO count it.
 */
class ConnectionLimitsNodeIT {
    @TempDir
    Path dir;

    @Test
    void aNodeStartedWithMaxConnectionsRefusesTheNextClientAndCountsIt() throws Exception {
        try (NodeProcess node = NodeProcess.primary(dir)
                        .set("limits.max-connections", "2")
                        .start();
                Jedis first = RespNodeIT.jedisOn(node);
                Jedis second = RespNodeIT.jedisOn(node);
                RawRespClient third = new RawRespClient(RespNodeIT.respPort(node))) {
            assertThat(first.set("k", "v")).isEqualTo("OK");
            assertThat(second.get("k")).isEqualTo("v");
            assertThat(third.readLine()).isEqualTo("-ERR max number of clients reached");
            assertThat(first.info("stats")).contains("rejected_connections:1");

            String metrics = HttpClient.newHttpClient()
                    .send(
                            HttpRequest.newBuilder(
                                            URI.create("http://127.0.0.1:" + RespNodeIT.httpPort(node) + "/metrics"))
                                    .timeout(Duration.ofSeconds(30))
                                    .build(),
                            HttpResponse.BodyHandlers.ofString())
                    .body();
            assertThat(metrics)
                    .contains("pbkv_connections{door=\"resp\"} 2.0")
                    .contains("pbkv_connections_refused_total{door=\"resp\"} 1.0")
                    .contains("pbkv_connections{door=\"http\"} 1.0")
                    .contains("pbkv_connections{door=\"grpc\"}");
        }
    }
}
