package dev.pbkv.server.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.pbkv.server.command.WriteTag;
import dev.pbkv.server.net.ConnectionLimits;
import dev.pbkv.server.resp.InMemoryCommands;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The HTTP door's backpressure (limits.max-connections, max-inflight-per-connection,
 * output-buffer-*, idle-timeout-ms) over real loopback sockets, backed by the in-memory command layer.
 */
class HttpBackpressureTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    private InMemoryCommands commands;
    private HttpDoor door;
    private final List<Socket> sockets = new ArrayList<>();

    @BeforeEach
    void setUp() {
        commands = new InMemoryCommands();
    }

    @AfterEach
    void tearDown() throws IOException {
        for (Socket s : sockets) {
            s.close();
        }
        if (door != null) {
            door.close();
        }
        commands.close();
    }

    private void start(ConnectionLimits limits) throws IOException {
        door = new HttpDoor(commands, new HttpSettings("127.0.0.1", 0).withConnections(limits));
        door.start();
    }

    private Socket connect() throws IOException {
        Socket socket = new Socket("127.0.0.1", door.port());
        socket.setSoTimeout(10_000);
        sockets.add(socket);
        return socket;
    }

    private static void send(Socket socket, String requests) throws IOException {
        socket.getOutputStream().write(requests.getBytes(StandardCharsets.US_ASCII));
        socket.getOutputStream().flush();
    }

    /** One response with a Content-Length body: its status line and body. */
    private static String[] readResponse(InputStream in) throws IOException {
        String status = readLine(in);
        int length = 0;
        String line;
        while (!(line = readLine(in)).isEmpty()) {
            if (line.toLowerCase(java.util.Locale.ROOT).startsWith("content-length:")) {
                length = Integer.parseInt(
                        line.substring("content-length:".length()).trim());
            }
        }
        return new String[] {status, new String(in.readNBytes(length), StandardCharsets.UTF_8)};
    }

    private static String readLine(InputStream in) throws IOException {
        ByteArrayOutputStream line = new ByteArrayOutputStream();
        int c;
        while ((c = in.read()) != '\n') {
            if (c == -1) {
                throw new IOException("connection closed after '" + line + "'");
            }
            if (c != '\r') {
                line.write(c);
            }
        }
        return line.toString(StandardCharsets.US_ASCII);
    }

    private static boolean closedByServer(Socket socket) throws IOException {
        socket.setSoTimeout(100);
        try {
            return socket.getInputStream().read() == -1;
        } catch (SocketTimeoutException stillOpen) {
            return false;
        } catch (IOException reset) {
            return true;
        }
    }

    private String scrapeConnections() {
        return door.metrics()
                .scrape()
                .lines()
                .filter(l -> l.startsWith("pbkv_connections"))
                .reduce("", (a, b) -> a + b + "\n");
    }

    @Test
    void connectionsPastTheLimitGet503AndTheRestAreServed() throws Exception {
        start(ConnectionLimits.DEFAULTS.withMaxConnections(2));
        Socket first = connect();
        Socket second = connect();
        for (Socket s : List.of(first, second)) {
            send(s, "GET /health HTTP/1.1\r\nHost: x\r\n\r\n");
            assertThat(readResponse(s.getInputStream())[0]).isEqualTo("HTTP/1.1 200 OK");
        }

        Socket third = connect();
        send(third, "GET /health HTTP/1.1\r\nHost: x\r\n\r\n");
        String[] refused = readResponse(third.getInputStream());
        assertThat(refused[0]).isEqualTo("HTTP/1.1 503 Service Unavailable");
        JsonNode body = JSON.readTree(refused[1]);
        assertThat(body.get("success").asText()).isEqualTo("false");
        assertThat(body.get("error").asText()).startsWith("max number of connections reached");
        assertThat(third.getInputStream().read()).isEqualTo(-1);
        assertThat(scrapeConnections())
                .contains("pbkv_connections{door=\"http\"} 2.0")
                .contains("pbkv_connections_refused_total{door=\"http\"} 1.0");

        // The served ones go on; once one closes, a new client is served.
        send(first, "GET /health HTTP/1.1\r\nHost: x\r\n\r\n");
        assertThat(readResponse(first.getInputStream())[0]).isEqualTo("HTTP/1.1 200 OK");
        second.close();
        await().untilAsserted(() -> assertThat(scrapeConnections()).contains("pbkv_connections{door=\"http\"} 1.0"));
        HttpResponse<String> fresh = HttpClient.newHttpClient()
                .send(
                        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + door.port() + "/kvman/countkey"))
                                .timeout(Duration.ofSeconds(10))
                                .build(),
                        HttpResponse.BodyHandlers.ofString());
        assertThat(fresh.statusCode()).isEqualTo(200);
    }

    @Test
    void pipelinedRequestsAreAnsweredInOrderPastTheInflightBound() throws Exception {
        start(ConnectionLimits.DEFAULTS.withMaxInflight(2));
        commands.completeWritesLate(true);
        Socket socket = connect();
        StringBuilder requests = new StringBuilder();
        int pairs = 100;
        for (int i = 0; i < pairs; i++) {
            String form = "key=k" + i + "&value=v" + i;
            requests.append("POST /kv/insert HTTP/1.1\r\nHost: x\r\n")
                    .append("Content-Type: application/x-www-form-urlencoded\r\nContent-Length: ")
                    .append(form.length())
                    .append("\r\n\r\n")
                    .append(form);
            requests.append("GET /kv/get?key=k").append(i).append(" HTTP/1.1\r\nHost: x\r\n\r\n");
        }
        send(socket, requests.toString());
        InputStream in = socket.getInputStream();
        for (int i = 0; i < pairs; i++) {
            assertThat(readResponse(in)[1]).isEqualTo("{\"success\":\"true\"}");
            assertThat(readResponse(in)[1]).isEqualTo("{\"success\":\"true\",\"value\":\"v" + i + "\"}");
        }
    }

    @Test
    void slowDumpReaderGetsTheWholeDumpWithinTheHardLimit() throws Exception {
        // 10 MB of dump against a 1 MB hard limit (and the few MB the kernel buffers): only a dump that
        // waits for its reader fits.
        start(ConnectionLimits.DEFAULTS.withOutput(64 * 1024, 1L << 20));
        String value = "v".repeat(100_000);
        for (int i = 0; i < 100; i++) {
            commands.put(
                            ("key" + i).getBytes(StandardCharsets.US_ASCII),
                            value.getBytes(StandardCharsets.US_ASCII),
                            WriteTag.NONE)
                    .join();
        }
        Socket socket = new Socket();
        socket.setReceiveBufferSize(8192);
        socket.connect(new InetSocketAddress("127.0.0.1", door.port()));
        socket.setSoTimeout(10_000);
        sockets.add(socket);
        send(socket, "GET /kvman/dump HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
        InputStream in = socket.getInputStream();
        ByteArrayOutputStream all = new ByteArrayOutputStream();
        byte[] piece = new byte[8192];
        int n;
        while ((n = in.read(piece)) != -1) {
            all.write(piece, 0, n);
            // A reader far slower than the node (8 MB/s at most), so the node's output would pile up.
            LockSupport.parkNanos(1_000_000);
        }
        String response = all.toString(StandardCharsets.US_ASCII);
        assertThat(response).startsWith("HTTP/1.1 200 OK").endsWith("\r\n0\r\n\r\n"); // the last chunk came
        String chunked = response.substring(response.indexOf("\r\n\r\n") + 4);
        StringBuilder body = new StringBuilder();
        int at = 0;
        while (true) {
            int eol = chunked.indexOf("\r\n", at);
            int size = Integer.parseInt(chunked.substring(at, eol), 16);
            if (size == 0) {
                break;
            }
            body.append(chunked, eol + 2, eol + 2 + size);
            at = eol + 2 + size + 2;
        }
        JsonNode dump = JSON.readTree(body.toString());
        assertThat(dump.size()).isEqualTo(100);
        assertThat(dump.get("key99").asText()).isEqualTo(value);
    }

    @Test
    void idleConnectionIsClosedWhenTheTimeoutIsSetAndNotWhenZero() throws Exception {
        start(ConnectionLimits.DEFAULTS.withIdleTimeoutMillis(300));
        Socket idle = connect();
        send(idle, "GET /health HTTP/1.1\r\nHost: x\r\n\r\n");
        assertThat(readResponse(idle.getInputStream())[0]).isEqualTo("HTTP/1.1 200 OK");
        await().atMost(Duration.ofSeconds(10)).until(() -> closedByServer(idle));

        door.close();
        start(ConnectionLimits.DEFAULTS);
        Socket kept = connect();
        send(kept, "GET /health HTTP/1.1\r\nHost: x\r\n\r\n");
        assertThat(readResponse(kept.getInputStream())[0]).isEqualTo("HTTP/1.1 200 OK");
        await().during(Duration.ofSeconds(2)).atMost(Duration.ofSeconds(5)).until(() -> !closedByServer(kept));
        kept.setSoTimeout(10_000);
        send(kept, "GET /health HTTP/1.1\r\nHost: x\r\n\r\n");
        assertThat(readResponse(kept.getInputStream())[0]).isEqualTo("HTTP/1.1 200 OK");
    }
}
