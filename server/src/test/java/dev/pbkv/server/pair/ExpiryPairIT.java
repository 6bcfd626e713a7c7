package dev.pbkv.server.pair;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.google.protobuf.ByteString;
import dev.pbkv.client.PbkvClient;
import dev.pbkv.proto.NodeState;
import dev.pbkv.proto.Role;
import dev.pbkv.testkit.NodeProcess;
import java.nio.file.Path;
import java.time.Duration;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.params.SetParams;

/**
 * Expiring keys on a real pair (docs/expiry.md): the primary's clock decides, its EXPIRED
 * records remove keys on both nodes, and no expired key comes back after kill -9 of the
 * primary, a failover, or a restart of either node. A key written with a ttl and then
 * PERSISTed survives all of it.
 */
class ExpiryPairIT {
    static final Duration WAIT = Duration.ofSeconds(60);

    @TempDir
    Path dir;

    static ByteString b(String s) {
        return ByteString.copyFromUtf8(s);
    }

    /** The node holds exactly what it shows: no expired entry waits for removal on it. */
    static boolean holdsNoExpiredKey(NodeProcess node) {
        return node.status().getKeyCount() == node.dump().size();
    }

    @Test
    void expiredKeysStayGoneThroughKillFailoverAndRestarts() throws Exception {
        try (NodeProcess.Pair pair = PairFailoverIT.startInSync(dir);
                PbkvClient client = PairFailoverIT.client(pair, Duration.ofSeconds(30))) {
            NodeProcess primary = pair.primary();
            NodeProcess backup = pair.backup();
            try (Jedis p = PairFailoverIT.resp(primary)) {
                p.set("e:gone", "v", SetParams.setParams().px(1500));
                p.set("e:kept", "v", SetParams.setParams().px(1500));
                assertThat(p.persist("e:kept")).isEqualTo(1);
                p.set("e:long", "v", SetParams.setParams().ex(1000));
                p.set("e:plain", "v");
                await().atMost(WAIT).until(() -> p.get("e:gone") == null);
                // The primary's expirer removed it; its EXPIRED record reached the backup.
                await().atMost(WAIT)
                        .until(() -> !primary.dump().containsKey(b("e:gone"))
                                && holdsNoExpiredKey(primary)
                                && holdsNoExpiredKey(backup));
                // Due while the primary is dead: only the next primary's clock removes it.
                p.set("e:during", "v", SetParams.setParams().px(1500));
                await().atMost(WAIT).until(() -> backup.dump().containsKey(b("e:during")));
            }

            primary.kill();
            assertThat(client.promote(PairFailoverIT.endpoint(backup), true).promoted())
                    .isTrue();
            backup.awaitState(Role.PRIMARY, NodeState.BOOTSTRAP, WAIT);
            try (Jedis q = PairFailoverIT.resp(backup)) {
                assertThat(q.get("e:gone")).isNull();
                assertThat(q.get("e:kept")).isEqualTo("v");
                assertThat(q.ttl("e:kept")).isEqualTo(-1);
                assertThat(q.ttl("e:long")).isBetween(900L, 1000L);
                await().atMost(WAIT).until(() -> q.get("e:during") == null);
                await().atMost(WAIT).until(() -> holdsNoExpiredKey(backup));
                assertThat(backup.dump()).doesNotContainKeys(b("e:gone"), b("e:during"));
            }

            // The old primary rejoins as backup: nothing expired comes back on either node.
            primary.startUp(); // stale epoch: rejoins as backup
            primary.awaitState(Role.BACKUP, NodeState.SYNC, WAIT);
            backup.awaitState(Role.PRIMARY, NodeState.SYNC, WAIT);
            await().atMost(WAIT).until(() -> holdsNoExpiredKey(primary));
            TreeMap<ByteString, ByteString> onOld = primary.dump();
            assertThat(onOld).doesNotContainKeys(b("e:gone"), b("e:during"));
            assertThat(onOld).containsKeys(b("e:kept"), b("e:long"), b("e:plain"));
            // Only e:long has a deadline: the rejoined copy's count (INFO expires) says so too.
            assertThat(primary.status().getExpiringKeyCount()).isEqualTo(1);

            // Restart each node in turn: recovery from the log (and snapshots) brings none back.
            primary.stop();
            primary.startUp();
            primary.awaitState(Role.BACKUP, NodeState.SYNC, WAIT);
            backup.stop();
            await().atMost(WAIT).ignoreExceptions().until(() -> primary.status().getRole() == Role.PRIMARY);
            backup.startUp();
            await().atMost(WAIT)
                    .ignoreExceptions()
                    .until(() -> primary.status().getState() == NodeState.SYNC
                            || backup.status().getState() == NodeState.SYNC);
            for (NodeProcess node : new NodeProcess[] {primary, backup}) {
                await().atMost(WAIT).ignoreExceptions().until(() -> node.dump().containsKey(b("e:kept")));
                assertThat(node.dump())
                        .as("%s after restarts", node.dataDir())
                        .doesNotContainKeys(b("e:gone"), b("e:during"))
                        .containsKeys(b("e:kept"), b("e:long"), b("e:plain"));
                assertThat(node.status().getExpiringKeyCount())
                        .as("%s: keys with a deadline after restarts (log replay)", node.dataDir())
                        .isEqualTo(1);
            }
        }
    }
}
