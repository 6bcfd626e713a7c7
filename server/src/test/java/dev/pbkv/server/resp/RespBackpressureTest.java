package dev.pbkv.server.resp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import dev.pbkv.server.net.ConnectionGuard;
import dev.pbkv.server.net.ConnectionLimits;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.ByteBufAllocatorMetricProvider;
import java.io.IOException;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.Pipeline;

/**
 * The RESP door's backpressure (limits.output-buffer-*, max-connections, max-inflight-per-connection,
 * idle-timeout-ms) against real sockets on loopback, backed by the in-memory command layer.
 */
class RespBackpressureTest {

    private static final int VALUE_BYTES = 100 * 1024;

    private InMemoryCommands commands;
    /** The command layer the door sees: commands, counting calls whose futures are not done yet. */
    private InFlightCounter counting;

    private RespDoor door;
    private final List<AutoCloseable> clients = new ArrayList<>();
    private ExecutorService writers;

    @BeforeEach
    void setUp() {
        commands = new InMemoryCommands();
        counting = new InFlightCounter(commands, method -> true);
        writers = Executors.newCachedThreadPool();
    }

    @AfterEach
    void tearDown() throws Exception {
        for (AutoCloseable c : clients) {
            try {
                c.close();
            } catch (Exception ignored) {
                // already closed by the server
            }
        }
        writers.shutdownNow();
        writers.awaitTermination(5, TimeUnit.SECONDS);
        if (door != null) {
            door.close();
        }
        commands.close();
    }

    private void start(ConnectionLimits limits) throws IOException {
        door = new RespDoor(
                counting.commands(), RespSettings.defaults("127.0.0.1", 0).withConnections(limits));
        door.start();
    }

    private Jedis jedis() {
        Jedis jedis = new Jedis("127.0.0.1", door.port(), 10_000);
        clients.add(jedis);
        return jedis;
    }

    private RawRespClient raw() throws IOException {
        RawRespClient client = new RawRespClient(door.port());
        clients.add(client);
        return client;
    }

    private static long usedDirectMemory() {
        return ((ByteBufAllocatorMetricProvider) ByteBufAllocator.DEFAULT)
                .metric()
                .usedDirectMemory();
    }

    private static byte[] getCommands(String key, int count) {
        byte[] one =
                ("*2\r\n$3\r\nGET\r\n$" + key.length() + "\r\n" + key + "\r\n").getBytes(StandardCharsets.US_ASCII);
        byte[] all = new byte[one.length * count];
        for (int i = 0; i < count; i++) {
            System.arraycopy(one, 0, all, i * one.length, one.length);
        }
        return all;
    }

    @Test
    void clientThatNeverReadsDoesNotStopOthersAndIsClosedAtTheHardLimit() throws Exception {
        start(ConnectionLimits.DEFAULTS.withOutput(64 * 1024, 2L << 20));
        Jedis other = jedis();
        byte[] value = new byte[VALUE_BYTES];
        Arrays.fill(value, (byte) 'v');
        other.set("big".getBytes(StandardCharsets.US_ASCII), value);

        Logger guardLog = (Logger) LoggerFactory.getLogger(ConnectionGuard.class);
        ListAppender<ILoggingEvent> log = new ListAppender<>();
        log.start();
        guardLog.addAppender(log);
        try {
            long directBefore = usedDirectMemory();
            AtomicLong directPeak = new AtomicLong(directBefore);
            // 20000 GETs of a 100 KiB value: 2 GB of replies, and the client reads none of them.
            Socket flooder = new Socket();
            flooder.setReceiveBufferSize(4096);
            flooder.connect(new java.net.InetSocketAddress("127.0.0.1", door.port()));
            clients.add(flooder);
            byte[] flood = getCommands("big", 20_000);
            CompletableFuture<Void> writing = CompletableFuture.runAsync(
                    () -> {
                        try {
                            OutputStream out = flooder.getOutputStream();
                            out.write(flood);
                            out.flush();
                        } catch (IOException closedByServer) {
                            // the hard limit closed it: what this test waits for
                        }
                    },
                    writers);

            // Meanwhile the other client is served, and the flooder ends up closed by the hard limit.
            await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
                directPeak.accumulateAndGet(usedDirectMemory(), Math::max);
                assertThat(other.get("big".getBytes(StandardCharsets.US_ASCII))).hasSize(VALUE_BYTES);
                assertThat(door.connectedClients()).isEqualTo(1);
            });
            assertThat(other.ping()).isEqualTo("PONG");
            writing.get(30, TimeUnit.SECONDS);
            directPeak.accumulateAndGet(usedDirectMemory(), Math::max);
            // The flood would be 2 GB of replies; the door held about its hard limit of it.
            assertThat(directPeak.get() - directBefore).isLessThan(64L << 20);
            await().untilAsserted(() -> assertThat(log.list)
                    .extracting(ILoggingEvent::getFormattedMessage)
                    .anySatisfy(line -> assertThat(line)
                            .startsWith("resp client /127.0.0.1:" + flooder.getLocalPort() + " closed: ")
                            .contains("over limits.output-buffer-hard-limit = 2097152")));
        } finally {
            guardLog.detachAppender(log);
        }
    }

    @Test
    void connectionsPastTheLimitAreRefusedAsRedisDoesAndTheRestAreServed() throws Exception {
        start(ConnectionLimits.DEFAULTS.withMaxConnections(2));
        Jedis first = jedis();
        Jedis second = jedis();
        assertThat(first.set("k", "v")).isEqualTo("OK");
        assertThat(second.get("k")).isEqualTo("v");

        RawRespClient third = raw();
        assertThat(third.readLine()).isEqualTo("-ERR max number of clients reached");
        assertThat(third.readLineOrNull()).isNull();
        assertThat(first.get("k")).isEqualTo("v");
        assertThat(first.info("clients")).contains("connected_clients:2").contains("maxclients:2");
        assertThat(first.info("stats")).contains("rejected_connections:1");

        second.close();
        await().untilAsserted(() -> assertThat(door.connectedClients()).isEqualTo(1));
        Jedis fourth = jedis();
        assertThat(fourth.get("k")).isEqualTo("v");
        assertThat(first.get("k")).isEqualTo("v");
    }

    @Test
    void commandsInFlightStayWithinTheBoundAndRepliesStayInOrder() throws Exception {
        start(ConnectionLimits.DEFAULTS.withMaxInflight(8));
        commands.completeWritesLate(true);
        Jedis jedis = jedis();
        Pipeline pipeline = jedis.pipelined();
        int pairs = 2000;
        for (int i = 0; i < pairs; i++) {
            pipeline.set("key" + i, "value" + i);
            pipeline.get("key" + i);
        }
        List<Object> replies = pipeline.syncAndReturnAll();
        assertThat(replies).hasSize(2 * pairs);
        for (int i = 0; i < pairs; i++) {
            assertThat(replies.get(2 * i)).isEqualTo("OK");
            assertThat(replies.get(2 * i + 1)).isEqualTo("value" + i);
        }
        // 4000 commands arrived in a few reads; no more than 8 were ever waiting on the command layer.
        assertThat(counting.max()).isBetween(2, 8);
    }

    @Test
    void idleConnectionIsClosedWhenTheTimeoutIsSet() throws Exception {
        start(ConnectionLimits.DEFAULTS.withIdleTimeoutMillis(300));
        RawRespClient idle = raw();
        idle.send("PING\r\n");
        assertThat(idle.readLine()).isEqualTo("+PONG");
        await().atMost(Duration.ofSeconds(10))
                .untilAsserted(() -> assertThat(door.connectedClients()).isZero());
        assertThat(idle.readLineOrNull()).isNull();
    }

    @Test
    void idleConnectionStaysOpenWhenTheTimeoutIsZero() throws Exception {
        start(ConnectionLimits.DEFAULTS);
        RawRespClient idle = raw();
        idle.send("PING\r\n");
        assertThat(idle.readLine()).isEqualTo("+PONG");
        // Far longer than the 300 ms that closes it in the test above.
        await().during(Duration.ofSeconds(2)).atMost(Duration.ofSeconds(5)).until(() -> door.connectedClients() == 1);
        idle.send("PING\r\n");
        assertThat(idle.readLine()).isEqualTo("+PONG");
    }
}
