package dev.pbkv.server.resp;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.Random;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import redis.clients.jedis.Jedis;

/**
 * Raw sockets against a RespDoor: inline (telnet) commands, and malformed or oversized frames.
 * Each bad client gets an error or a clean close, and a well-behaved Jedis client on the same
 * door is served throughout.
 */
class RespMalformedInputTest {

    private static final int MAX_BULK = 4096;
    private static final int MAX_ARGS = 16;
    private static final int MAX_INLINE = 1024;

    private InMemoryCommands commands;
    private RespDoor door;
    private Jedis bystander;

    @BeforeEach
    void start() throws Exception {
        commands = new InMemoryCommands();
        door = new RespDoor(commands, new RespSettings("127.0.0.1", 0, MAX_BULK, MAX_ARGS, MAX_INLINE, 2));
        door.start();
        bystander = new Jedis("127.0.0.1", door.port());
        bystander.set("bystander", "ok");
    }

    @AfterEach
    void stop() {
        bystander.close();
        door.close();
        commands.close();
    }

    private void bystanderIsServed() {
        assertThat(bystander.get("bystander")).isEqualTo("ok");
        assertThat(bystander.set("bystander", "ok")).isEqualTo("OK");
    }

    @Test
    void inlineCommandsWorkForAPersonInTelnet() throws Exception {
        try (RawRespClient telnet = new RawRespClient(door.port())) {
            assertThat(telnet.send("PING\r\n").readLine()).isEqualTo("+PONG");
            assertThat(telnet.send("PUT greeting hello\r\n").readLine()).isEqualTo("+OK");
            assertThat(telnet.send("get greeting\n").readBulk()).isEqualTo("hello");
            assertThat(telnet.send("PUT \"two words\" 'it''s'\r\n").readLine())
                    .isEqualTo("-ERR Protocol error: unbalanced quotes in request");
            assertThat(telnet.send("PUT \"two words\" \"line\\nbreak\\x41\"\r\n")
                            .readLine())
                    .isEqualTo("+OK");
            assertThat(telnet.send("GET \"two words\"\r\n").readBulk()).isEqualTo("line\nbreakA");
            assertThat(telnet.send("  \r\n\r\nEXISTS greeting\r\n").readLine()).isEqualTo(":1");
            assertThat(telnet.send("COUNT\r\n").readLine()).isEqualTo(":3");
            assertThat(telnet.send("DELETE greeting\r\n").readLine()).isEqualTo(":1");
            assertThat(telnet.send("DELETE greeting\r\n").readLine()).isEqualTo(":0");
            assertThat(telnet.send("GET greeting\r\n").readBulk()).isEqualTo("(nil)");
            assertThat(telnet.send("SET a 1\r\nGET a\r\n").readLine()).isEqualTo("+OK");
            assertThat(telnet.readBulk()).isEqualTo("1");
            assertThat(telnet.send("HELLOTHERE x\r\n").readLine()).startsWith("-ERR unknown command 'HELLOTHERE'");
            assertThat(telnet.send("PUT onlykey\r\n").readLine())
                    .isEqualTo("-ERR wrong number of arguments for 'put' command");
            assertThat(telnet.send("END\r\n").readLine()).isEqualTo("+OK");
            assertThat(telnet.closedByServer()).isTrue();
        }
        bystanderIsServed();
    }

    @Test
    void quitAnswersOkThenCloses() throws Exception {
        try (RawRespClient client = new RawRespClient(door.port())) {
            assertThat(client.send("*1\r\n$4\r\nQUIT\r\n").readLine()).isEqualTo("+OK");
            assertThat(client.closedByServer()).isTrue();
        }
    }

    @Test
    void randomGarbageGetsAnErrorOrACloseAndOthersAreServed() throws Exception {
        Random random = new Random(42);
        for (int round = 0; round < 20; round++) {
            byte[] garbage = new byte[1 + random.nextInt(5000)];
            random.nextBytes(garbage);
            if (round % 2 == 0) {
                garbage[0] = '*';
            }
            try (RawRespClient client = new RawRespClient(door.port())) {
                byte[] withEnd = java.util.Arrays.copyOf(garbage, garbage.length + 2);
                withEnd[garbage.length] = '\r';
                withEnd[garbage.length + 1] = '\n';
                // A broken frame is an error then a close (the close may even cut our write short);
                // garbage read as inline lines is one error per line (unknown command, unbalanced
                // quotes, line too long).
                client.send(withEnd);
                String first = client.readLineOrNull();
                assertThat(first == null || first.startsWith("-ERR"))
                        .as("first reply %s", first)
                        .isTrue();
            }
            bystanderIsServed();
        }
    }

    @Test
    void badMultibulkFramesAnswerAProtocolErrorAndClose() throws Exception {
        String[] frames = {
            "*x\r\n", // not a number
            "*1\r\n$-5\r\n", // negative bulk length
            "*1\r\n+GET\r\n", // not a bulk string
            "*1\r\n$3\r\nGETXX", // no CRLF after the bulk
            "*99999999999999999999999\r\n", // count overflows
            "*1\r\n$99999999999999999999999\r\n", // length overflows
        };
        for (String frame : frames) {
            try (RawRespClient client = new RawRespClient(door.port())) {
                assertThat(client.send(frame).readLine()).as(frame).startsWith("-ERR Protocol error");
                assertThat(client.closedByServer()).as(frame).isTrue();
            }
            bystanderIsServed();
        }
    }

    @Test
    void hundredMegabyteLengthHeaderIsRefusedBeforeAnyBodyArrives() throws Exception {
        try (RawRespClient client = new RawRespClient(door.port())) {
            String error = client.send("*2\r\n$3\r\nGET\r\n$104857600\r\n").readLine();
            assertThat(error)
                    .isEqualTo("-ERR Protocol error: bulk length 104857600 exceeds the limit of " + MAX_BULK
                            + " bytes (limits.resp-max-bulk-bytes)");
            assertThat(client.closedByServer()).isTrue();
        }
        bystanderIsServed();
    }

    @Test
    void bulkJustUnderTheLimitIsServedAndOneOverIsRefused() throws Exception {
        byte[] value = new byte[MAX_BULK];
        java.util.Arrays.fill(value, (byte) 'v');
        assertThat(bystander.set("big".getBytes(), value)).isEqualTo("OK");
        assertThat(bystander.get("big".getBytes())).isEqualTo(value);
        try (Jedis tooBig = new Jedis("127.0.0.1", door.port())) {
            byte[] over = new byte[MAX_BULK + 1];
            org.assertj.core.api.Assertions.assertThatThrownBy(() -> tooBig.set("big".getBytes(), over))
                    .hasMessageContaining("exceeds the limit of " + MAX_BULK);
        }
        bystanderIsServed();
    }

    @Test
    void tooManyArgumentsAreRefusedAtTheArrayHeader() throws Exception {
        try (RawRespClient client = new RawRespClient(door.port())) {
            String error = client.send("*1000000\r\n").readLine();
            assertThat(error)
                    .isEqualTo("-ERR Protocol error: 1000000 arguments exceed the limit of " + MAX_ARGS
                            + " (limits.resp-max-args)");
            assertThat(client.closedByServer()).isTrue();
        }
        StringBuilder inline = new StringBuilder("EXISTS");
        for (int i = 0; i < MAX_ARGS; i++) {
            inline.append(" k").append(i);
        }
        try (RawRespClient client = new RawRespClient(door.port())) {
            assertThat(client.send(inline + "\r\n").readLine()).contains("exceed the limit of " + MAX_ARGS);
            assertThat(client.send("PING\r\n").readLine()).isEqualTo("+PONG");
        }
        bystanderIsServed();
    }

    @Test
    void overlongInlineLineIsRefusedAndClosed() throws Exception {
        try (RawRespClient client = new RawRespClient(door.port())) {
            byte[] line = new byte[MAX_INLINE * 3];
            java.util.Arrays.fill(line, (byte) 'a');
            String error = client.send(line).readLine();
            assertThat(error)
                    .isEqualTo("-ERR Protocol error: too big inline request (limit " + MAX_INLINE
                            + " bytes, limits.resp-max-inline-bytes)");
            assertThat(client.closedByServer()).isTrue();
        }
        bystanderIsServed();
    }

    @Test
    void truncatedBulkThenDisconnectLeavesTheDoorServing() throws Exception {
        try (RawRespClient client = new RawRespClient(door.port())) {
            client.send("*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$100\r\nonly-part-of-it");
        }
        bystanderIsServed();
        assertThat(commands.peek("k")).isNull();
    }

    @Test
    void halfFrameThenSilenceBlocksNobodyAndCompletesWhenTheRestArrives() throws Exception {
        try (RawRespClient slow = new RawRespClient(door.port())) {
            slow.send("*3\r\n$3\r\nSET\r\n$4\r\nslow\r\n$5\r\nval");
            for (int i = 0; i < 50; i++) {
                bystanderIsServed();
            }
            try (RawRespClient other = new RawRespClient(door.port())) {
                assertThat(other.send("*1\r\n$4\r\nPING\r\n").readLine()).isEqualTo("+PONG");
            }
            assertThat(commands.peek("slow")).isNull();
            assertThat(slow.send("ue\r\n").readLine()).isEqualTo("+OK");
            assertThat(new String(commands.peek("slow"), StandardCharsets.UTF_8))
                    .isEqualTo("value");
        }
    }

    @Test
    void emptyArraysAreSkippedLikeRedisDoes() throws Exception {
        try (RawRespClient client = new RawRespClient(door.port())) {
            assertThat(client.send("*0\r\n*-1\r\n*1\r\n$4\r\nPING\r\n").readLine())
                    .isEqualTo("+PONG");
        }
    }
}
