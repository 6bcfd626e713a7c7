package dev.pbkv.server.watch;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.pbkv.proto.NodeState;
import dev.pbkv.proto.Role;
import dev.pbkv.server.resp.RedisCli;
import dev.pbkv.testkit.NodeProcess;
import java.io.BufferedReader;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.JedisPubSub;
import redis.clients.jedis.Pipeline;

/**
 * Redis keyspace notifications over the RESP port of a real pair: the exact RESP2 pub/sub bytes
 * on a raw socket, Jedis's pub/sub, redis-cli (when installed), the subscribed mode's command
 * rule, and a subscriber that does not read, closed while the writer goes on.
 */
class RespSubscribeIT {
    static final Duration WAIT = Duration.ofSeconds(60);

    @TempDir
    static Path dir;

    static NodeProcess.Pair pair;

    @BeforeAll
    static void startPair() {
        pair = NodeProcess.pair(dir)
                .set("watch.buffer-bytes", "16k")
                .set("limits.output-buffer-high-water", "4k")
                .start();
        pair.primary().awaitState(Role.PRIMARY, NodeState.SYNC, WAIT);
        pair.backup().awaitState(Role.BACKUP, NodeState.SYNC, WAIT);
    }

    @AfterAll
    static void stopPair() {
        if (pair != null) {
            pair.close();
        }
    }

    static int respPort() {
        return pair.primary().nodeInfo().orElseThrow().path("resp").asInt();
    }

    static Jedis jedis() {
        return new Jedis("127.0.0.1", respPort(), 30_000);
    }

    @Test
    void subscribeAnswersAndDeliversInRedisFraming() throws Exception {
        try (Socket s = new Socket();
                Jedis writer = jedis()) {
            s.connect(new InetSocketAddress("127.0.0.1", respPort()), 10_000);
            s.setSoTimeout(30_000);
            OutputStream out = s.getOutputStream();
            InputStream in = s.getInputStream();
            out.write(command("SUBSCRIBE", "__keyspace@0__:raw", "__keyevent@0__:del"));
            out.flush();
            assertThat(read(
                            in,
                            "*3\r\n$9\r\nsubscribe\r\n$18\r\n__keyspace@0__:raw\r\n:1\r\n"
                                    + "*3\r\n$9\r\nsubscribe\r\n$18\r\n__keyevent@0__:del\r\n:2\r\n"))
                    .isTrue();
            out.write(command("GET", "raw"));
            out.write(command("PING"));
            out.flush();
            assertThat(read(
                            in,
                            "-ERR Can't execute 'get': only (P)SUBSCRIBE / (P)UNSUBSCRIBE / PING / QUIT are"
                                    + " allowed in this context\r\n*2\r\n$4\r\npong\r\n$0\r\n\r\n"))
                    .isTrue();
            writer.set("raw", "1");
            writer.del("raw");
            assertThat(read(
                            in,
                            "*3\r\n$7\r\nmessage\r\n$18\r\n__keyspace@0__:raw\r\n$3\r\nset\r\n"
                                    + "*3\r\n$7\r\nmessage\r\n$18\r\n__keyspace@0__:raw\r\n$3\r\ndel\r\n"
                                    + "*3\r\n$7\r\nmessage\r\n$18\r\n__keyevent@0__:del\r\n$3\r\nraw\r\n"))
                    .isTrue();
            out.write(command("UNSUBSCRIBE"));
            out.flush();
            assertThat(read(
                            in,
                            "*3\r\n$11\r\nunsubscribe\r\n$18\r\n__keyspace@0__:raw\r\n:1\r\n"
                                    + "*3\r\n$11\r\nunsubscribe\r\n$18\r\n__keyevent@0__:del\r\n:0\r\n"))
                    .isTrue();
            out.write(command("GET", "raw")); // out of subscribed mode: commands again
            out.flush();
            assertThat(read(in, "$-1\r\n")).isTrue();
        }
    }

    @Test
    void jedisPatternSubscriberSeesEveryChangeInOrder() throws Exception {
        List<String> seen = new CopyOnWriteArrayList<>();
        JedisPubSub listener = new JedisPubSub() {
            @Override
            public void onPMessage(String pattern, String channel, String message) {
                seen.add(pattern + " " + channel + " " + message);
            }
        };
        Thread subscriber = new Thread(
                () -> {
                    try (Jedis j = jedis()) {
                        j.psubscribe(listener, "__keyspace@0__:j/*");
                    }
                },
                "jedis-psubscribe");
        subscriber.start();
        try (Jedis writer = jedis()) {
            await().atMost(WAIT).until(() -> listener.getSubscribedChannels() == 1);
            List<String> expected = new ArrayList<>();
            for (int i = 0; i < 50; i++) {
                writer.set("j/" + i % 5, "v" + i);
                expected.add("__keyspace@0__:j/* __keyspace@0__:j/" + i % 5 + " set");
                writer.set("other/" + i, "x");
            }
            writer.del("j/0");
            expected.add("__keyspace@0__:j/* __keyspace@0__:j/0 del");
            await().atMost(WAIT).until(() -> seen.size() >= expected.size());
            assertThat(seen).containsExactlyElementsOf(expected);
        } finally {
            listener.punsubscribe();
            subscriber.join(TimeUnit.SECONDS.toMillis(30));
        }
        assertThat(subscriber.isAlive()).isFalse();
    }

    @Test
    void redisCliSubscribePrintsTheNotifications() throws Exception {
        Process p =
                RedisCli.command(respPort(), "subscribe", "__keyspace@0__:cli").start();
        try (Jedis writer = jedis();
                BufferedReader lines =
                        new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
            List<String> got = new ArrayList<>();
            // subscribe, channel, count: then it is subscribed
            for (int i = 0; i < 3; i++) {
                got.add(lines.readLine());
            }
            assertThat(got).containsExactly("subscribe", "__keyspace@0__:cli", "1");
            writer.set("cli", "1");
            writer.del("cli");
            got.clear();
            for (int i = 0; i < 6; i++) {
                got.add(lines.readLine());
            }
            assertThat(got)
                    .containsExactly("message", "__keyspace@0__:cli", "set", "message", "__keyspace@0__:cli", "del");
        } finally {
            p.destroy();
            if (!p.waitFor(10, TimeUnit.SECONDS)) {
                p.destroyForcibly();
            }
        }
    }

    @Test
    void aSubscriberThatDoesNotReadIsClosedWhileTheWriterGoesOn() throws Exception {
        try (Socket s = new Socket();
                Jedis writer = jedis()) {
            s.setReceiveBufferSize(4096);
            s.connect(new InetSocketAddress("127.0.0.1", respPort()), 10_000);
            s.setSoTimeout(60_000);
            s.getOutputStream().write(command("PSUBSCRIBE", "*"));
            s.getOutputStream().flush();
            InputStream in = s.getInputStream();
            assertThat(read(in, "*3\r\n$10\r\npsubscribe\r\n$1\r\n*\r\n:1\r\n")).isTrue();
            // It reads nothing more. The writer is never held up by it.
            byte[] value = new byte[1024];
            long started = System.nanoTime();
            for (int round = 0; round < 20 && pair.primary().logContains("closing RESP subscriber") == false; round++) {
                Pipeline pipe = writer.pipelined();
                for (int i = 0; i < 500; i++) {
                    pipe.set(("slow/" + i).getBytes(StandardCharsets.UTF_8), value);
                }
                pipe.sync();
            }
            assertThat(TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - started))
                    .isLessThan(60);
            await().atMost(WAIT).until(() -> pair.primary().logContains("closing RESP subscriber"));
            assertThat(pair.primary().logContains("watcher fell behind")).isTrue();
            // The connection was closed: reading on reaches its end.
            byte[] buf = new byte[65536];
            while (in.read(buf) >= 0) {
                // drain what was sent before the close
            }
            assertThat(writer.set("after", "1")).isEqualTo("OK");
        }
    }

    static byte[] command(String... args) {
        StringBuilder sb = new StringBuilder("*").append(args.length).append("\r\n");
        for (String a : args) {
            sb.append('$')
                    .append(a.getBytes(StandardCharsets.UTF_8).length)
                    .append("\r\n")
                    .append(a)
                    .append("\r\n");
        }
        return sb.toString().getBytes(StandardCharsets.UTF_8);
    }

    /** Reads exactly the expected bytes and compares them. */
    static boolean read(InputStream in, String expected) throws IOException {
        byte[] want = expected.getBytes(StandardCharsets.UTF_8);
        ByteArrayOutputStream got = new ByteArrayOutputStream();
        while (got.size() < want.length) {
            int b = in.read();
            if (b < 0) {
                break;
            }
            got.write(b);
        }
        assertThat(got.toString(StandardCharsets.UTF_8)).isEqualTo(expected);
        return true;
    }
}
