package dev.pbkv.server.resp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.pbkv.server.command.ErrorCode;
import dev.pbkv.server.role.NodeState;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.Pipeline;
import redis.clients.jedis.Protocol;
import redis.clients.jedis.Response;
import redis.clients.jedis.exceptions.JedisDataException;
import redis.clients.jedis.params.SetParams;
import redis.clients.jedis.util.SafeEncoder;

/** Jedis against a RespDoor on a loopback port, backed by the in-memory command layer. */
class RespDoorTest {

    private InMemoryCommands commands;
    private RespDoor door;
    private Jedis jedis;

    @BeforeEach
    void start() throws Exception {
        commands = new InMemoryCommands();
        door = new RespDoor(commands, new RespSettings("127.0.0.1", 0, 2 * 1024 * 1024, 1024, 65536, 2));
        door.start();
        jedis = new Jedis("127.0.0.1", door.port());
    }

    @AfterEach
    void stop() {
        jedis.close();
        door.close();
        commands.close();
    }

    @Test
    void setThenGetAnswersTheValueAndMissingKeyIsNil() {
        assertThat(jedis.set("a", "1")).isEqualTo("OK");
        assertThat(jedis.get("a")).isEqualTo("1");
        assertThat(jedis.get("missing")).isNull();
        assertThat(jedis.set("a", "2")).isEqualTo("OK");
        assertThat(jedis.get("a")).isEqualTo("2");
    }

    @Test
    void binaryKeysAndValuesRoundTrip() {
        byte[] key = {0, 1, 2, (byte) 0xff, '\r', '\n'};
        byte[] value = new byte[100_000];
        for (int i = 0; i < value.length; i++) {
            value[i] = (byte) i;
        }
        jedis.set(key, value);
        assertThat(jedis.get(key)).isEqualTo(value);
    }

    @Test
    void setNxWritesOnlyAbsentKeysAndXxOnlyPresentOnes() {
        assertThat(jedis.set("k", "1", SetParams.setParams().nx())).isEqualTo("OK");
        assertThat(jedis.set("k", "2", SetParams.setParams().nx())).isNull();
        assertThat(jedis.get("k")).isEqualTo("1");
        assertThat(jedis.set("k", "3", SetParams.setParams().xx())).isEqualTo("OK");
        assertThat(jedis.set("absent", "3", SetParams.setParams().xx())).isNull();
        assertThat(jedis.get("k")).isEqualTo("3");
        assertThat(jedis.exists("absent")).isFalse();
    }

    @Test
    void setWithConflictingOptionsIsRefusedClearly() {
        // Expiry itself is RespExpiryIT's (a real store); this fake command layer has none, and
        // the door passes its refusal on rather than inventing one.
        assertThatThrownBy(() -> jedis.set("k", "v", SetParams.setParams().ex(10)))
                .isInstanceOf(JedisDataException.class)
                .hasMessageContaining("no expiring keys");
        assertThatThrownBy(() -> jedis.sendCommand(Protocol.Command.SET, "k", "v", "EX", "10", "PX", "5"))
                .hasMessageContaining("syntax error");
        assertThatThrownBy(() -> jedis.sendCommand(Protocol.Command.SET, "k", "v", "NX", "XX"))
                .hasMessageContaining("syntax error");
        assertThatThrownBy(() -> jedis.sendCommand(Protocol.Command.SET, "k", "v", "BOGUS"))
                .hasMessageContaining("syntax error");
        assertThat(jedis.exists("k")).isFalse();
    }

    @Test
    void delAndExistsCountManyKeys() {
        jedis.mset("a", "1", "b", "2", "c", "3");
        assertThat(jedis.exists("a", "b", "zz", "c", "a")).isEqualTo(4);
        assertThat(jedis.del("a", "zz", "c")).isEqualTo(2);
        assertThat(jedis.del("a")).isZero();
        assertThat(jedis.exists("a", "b", "c")).isEqualTo(1);
        assertThat(jedis.dbSize()).isEqualTo(1);
    }

    @Test
    void msetThenMgetAnswersInKeyOrderWithNilForMissing() {
        assertThat(jedis.mset("x", "1", "y", "2")).isEqualTo("OK");
        assertThat(jedis.mget("y", "nope", "x")).containsExactly("2", null, "1");
        assertThatThrownBy(() -> jedis.sendCommand(Protocol.Command.MSET, "x", "1", "y"))
                .hasMessageContaining("wrong number of arguments for 'mset'");
    }

    @Test
    void pingEchoSelectAndDbsize() {
        assertThat(jedis.ping()).isEqualTo("PONG");
        assertThat(jedis.ping("hello")).isEqualTo("hello");
        assertThat(jedis.echo("hi there")).isEqualTo("hi there");
        assertThat(jedis.select(0)).isEqualTo("OK");
        assertThatThrownBy(() -> jedis.select(1)).hasMessageContaining("DB index is out of range");
        assertThat(jedis.dbSize()).isZero();
    }

    @Test
    void infoShowsReplicationKeyspaceAndMemoryInRedisSections() {
        jedis.set("a", "1");
        String info = jedis.info();
        assertThat(info)
                .contains(
                        "# Server\r\n",
                        "redis_version:",
                        "# Replication\r\n",
                        "role:master\r\n",
                        "pbkv_state:SYNC\r\n",
                        "pbkv_epoch:3\r\n",
                        "pbkv_last_offset:1\r\n",
                        "# Keyspace\r\n",
                        "db0:keys=1,expires=0,avg_ttl=0\r\n",
                        "# Memory\r\n",
                        "used_memory:64\r\n",
                        "connected_clients:1");
        String replication = jedis.info("replication");
        assertThat(replication).startsWith("# Replication").doesNotContain("# Server");
        assertThat(jedis.info("nonsense")).isEmpty();
        assertThat((String) SafeEncoder.encode((byte[]) jedis.sendCommand(Protocol.Command.INFO, "keyspace", "memory")))
                .startsWith("# Keyspace")
                .contains("# Memory")
                .doesNotContain("# Replication");
    }

    @Test
    void infoOnABackupNamesItsMaster() {
        commands.actAsBackup(true);
        assertThat(jedis.info("replication"))
                .contains("role:slave\r\n", "master_host:127.0.0.1\r\n", "master_port:7001\r\n", "pbkv_role:BACKUP");
    }

    @Test
    void commandAndConfigAnswerEnoughForClientsToStart() {
        assertThat(jedis.commandCount()).isEqualTo(RespCommand.values().length);
        Object docs = jedis.sendCommand(Protocol.Command.COMMAND, "DOCS");
        assertThat((List<?>) docs).isEmpty();
        List<?> all = (List<?>) jedis.sendCommand(Protocol.Command.COMMAND);
        assertThat(all).hasSize(RespCommand.values().length);
        List<?> info = (List<?>) jedis.sendCommand(Protocol.Command.COMMAND, "INFO", "get", "nosuch");
        List<?> get = (List<?>) info.get(0);
        assertThat(SafeEncoder.encode((byte[]) get.get(0))).isEqualTo("get");
        assertThat(get.get(1)).isEqualTo(2L);
        assertThat(info.get(1)).isNull();
        assertThat(jedis.configGet("save")).isEqualTo(Map.of("save", ""));
        assertThat(jedis.configGet("append*")).isEqualTo(Map.of("appendonly", "no"));
        assertThatThrownBy(() -> jedis.configSet("save", "1")).hasMessageContaining("not supported");
    }

    @Test
    void clientSubcommandsKeepANamePerConnection() {
        assertThat(jedis.clientGetname()).isNull();
        assertThat(jedis.clientSetname("worker-1")).isEqualTo("OK");
        assertThat(jedis.clientGetname()).isEqualTo("worker-1");
        assertThat(jedis.clientId()).isPositive();
        assertThat(jedis.sendCommand(Protocol.Command.CLIENT, "SETINFO", "LIB-NAME", "x"))
                .isEqualTo(SafeEncoder.encode("OK"));
        assertThat(jedis.clientInfo()).contains("name=worker-1");
        assertThatThrownBy(() -> jedis.clientSetname("has space")).hasMessageContaining("cannot contain spaces");
        assertThatThrownBy(() -> jedis.sendCommand(Protocol.Command.CLIENT, "FLY"))
                .hasMessageContaining("unknown subcommand");
        try (Jedis other = new Jedis("127.0.0.1", door.port())) {
            assertThat(other.clientGetname()).isNull();
            assertThat(other.clientId()).isNotEqualTo(jedis.clientId());
        }
    }

    @Test
    void helloTwoAnswersAMapAndHelloThreeIsRefusedSoClientsFallBack() {
        List<?> hello = (List<?>) jedis.sendCommand(Protocol.Command.HELLO, "2");
        List<String> strings = new ArrayList<>();
        for (Object o : hello) {
            strings.add(o instanceof byte[] b ? SafeEncoder.encode(b) : String.valueOf(o));
        }
        assertThat(strings).containsSubsequence("server", "redis", "proto", "2", "role", "master");
        assertThatThrownBy(() -> jedis.sendCommand(Protocol.Command.HELLO, "3")).hasMessageStartingWith("NOPROTO");
    }

    @Test
    void unknownCommandAndWrongArityAnswerRedisErrors() {
        assertThatThrownBy(() -> jedis.sendCommand(() -> SafeEncoder.encode("FLYTO"), "moon", "now"))
                .isInstanceOf(JedisDataException.class)
                .hasMessageStartingWith("ERR unknown command 'FLYTO', with args beginning with: 'moon' 'now'");
        assertThatThrownBy(() -> jedis.sendCommand(Protocol.Command.GET))
                .hasMessage("ERR wrong number of arguments for 'get' command");
        assertThatThrownBy(() -> jedis.sendCommand(Protocol.Command.ECHO, "a", "b"))
                .hasMessage("ERR wrong number of arguments for 'echo' command");
        assertThat(jedis.ping()).isEqualTo("PONG");
    }

    @Test
    void writesOnABackupNameThePrimaryAndReadsNeedReadonly() {
        jedis.set("k", "v");
        commands.actAsBackup(true);
        assertThatThrownBy(() -> jedis.set("k", "w"))
                .hasMessage("READONLY You can't write against a backup; primary is " + InMemoryCommands.PRIMARY_ADDRESS
                        + " (this node is the backup)");
        assertThatThrownBy(() -> jedis.del("k")).hasMessageStartingWith("READONLY You can't write against a backup");
        assertThatThrownBy(() -> jedis.mset("k", "w")).hasMessageStartingWith("READONLY");
        assertThatThrownBy(() -> jedis.get("k")).hasMessageContaining("primary is " + InMemoryCommands.PRIMARY_ADDRESS);
        assertThat(jedis.readonly()).isEqualTo("OK");
        assertThat(jedis.get("k")).isEqualTo("v");
        assertThat(jedis.mget("k", "none")).containsExactly("v", null);
        assertThat(jedis.readwrite()).isEqualTo("OK");
        assertThatThrownBy(() -> jedis.exists("k")).hasMessageStartingWith("READONLY");
    }

    @Test
    void eachErrorCodeMapsToOneRespError() {
        commands.failKey("full", ErrorCode.RESOURCE_EXHAUSTED)
                .failKey("broken", ErrorCode.INTERNAL)
                .failKey("pre", ErrorCode.FAILED_PRECONDITION);
        assertThatThrownBy(() -> jedis.set("full", "v")).hasMessage("OOM forced RESOURCE_EXHAUSTED");
        assertThatThrownBy(() -> jedis.set("broken", "v")).hasMessage("ERR internal error: forced INTERNAL");
        assertThatThrownBy(() -> jedis.get("pre")).hasMessage("ERR forced FAILED_PRECONDITION");
        assertThatThrownBy(() -> jedis.set("", "v")).hasMessage("ERR key must not be empty");
        assertThatThrownBy(() -> jedis.set("k".repeat(2000), "v")).hasMessageContaining("limits.max-key-bytes");
        assertThatThrownBy(() -> jedis.del("broken", "other")).hasMessage("ERR internal error: forced INTERNAL");
        assertThatThrownBy(() -> jedis.mget("a", "pre")).hasMessage("ERR forced FAILED_PRECONDITION");
        commands.state(NodeState.COLD_START);
        assertThatThrownBy(() -> jedis.set("k", "v")).hasMessage("UNAVAILABLE node is COLD_START");
        commands.state(NodeState.SYNC).maxKeys(0);
        assertThatThrownBy(() -> jedis.set("k", "v")).hasMessageStartingWith("OOM out of memory");
        assertThat(jedis.ping()).isEqualTo("PONG");
    }

    @Test
    void pipelinedRepliesComeBackInRequestOrderWhenWritesCompleteOutOfOrder() {
        commands.completeWritesLate(true);
        int n = 5000;
        Pipeline pipeline = jedis.pipelined();
        List<Response<String>> sets = new ArrayList<>();
        List<Response<String>> gets = new ArrayList<>();
        List<Response<Long>> dels = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            sets.add(pipeline.set("key" + i, "value" + i));
            gets.add(pipeline.get("key" + i));
            dels.add(pipeline.del("key" + (i - 1)));
        }
        pipeline.sync();
        for (int i = 0; i < n; i++) {
            assertThat(sets.get(i).get()).isEqualTo("OK");
            assertThat(gets.get(i).get()).isEqualTo("value" + i);
            assertThat(dels.get(i).get()).isEqualTo(i == 0 ? 0L : 1L);
        }
        assertThat(jedis.dbSize()).isEqualTo(1);
    }

    @Test
    void manyConnectionsPipelineAtOnce() throws Exception {
        commands.completeWritesLate(true);
        List<Thread> threads = new ArrayList<>();
        List<Throwable> failures = new java.util.concurrent.CopyOnWriteArrayList<>();
        for (int t = 0; t < 8; t++) {
            int id = t;
            Thread thread = new Thread(
                    () -> {
                        try (Jedis client = new Jedis("127.0.0.1", door.port())) {
                            Pipeline p = client.pipelined();
                            List<Response<String>> gets = new ArrayList<>();
                            for (int i = 0; i < 500; i++) {
                                p.set("t" + id + ":" + i, Integer.toString(i));
                                gets.add(p.get("t" + id + ":" + i));
                            }
                            p.sync();
                            for (int i = 0; i < 500; i++) {
                                assertThat(gets.get(i).get()).isEqualTo(Integer.toString(i));
                            }
                        } catch (Throwable e) {
                            failures.add(e);
                        }
                    },
                    "pipeline-client-" + t);
            threads.add(thread);
            thread.start();
        }
        for (Thread thread : threads) {
            thread.join(30_000);
        }
        assertThat(failures).isEmpty();
        assertThat(jedis.dbSize()).isEqualTo(8 * 500);
    }

    @Test
    void shutdownCallsTheCommandLayerAndClosesTheConnectionWithoutAReply() {
        jedis.shutdown();
        await().until(() -> commands.shutdownCalls() == 1);
        assertThatThrownBy(() -> jedis.sendCommand(Protocol.Command.SHUTDOWN, "ABORT"))
                .isInstanceOf(redis.clients.jedis.exceptions.JedisConnectionException.class);
        try (Jedis other = new Jedis("127.0.0.1", door.port())) {
            assertThatThrownBy(() -> other.sendCommand(Protocol.Command.SHUTDOWN, "ABORT"))
                    .hasMessageContaining("not supported");
        }
    }
}
