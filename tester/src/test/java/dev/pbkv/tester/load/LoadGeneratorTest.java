package dev.pbkv.tester.load;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.google.protobuf.ByteString;
import dev.pbkv.proto.GetRequest;
import dev.pbkv.proto.GetResponse;
import dev.pbkv.proto.KeyValueGrpc;
import dev.pbkv.proto.WriteRequest;
import dev.pbkv.proto.WriteResponse;
import io.grpc.Server;
import io.grpc.Status;
import io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.StreamObserver;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Short runs of the load generator against an in-memory KeyValue server on a real socket. */
class LoadGeneratorTest {

    static {
        // Without any logback configuration on the classpath, logback logs every Netty frame at
        // DEBUG, which slows these runs tenfold; fall back to the CLI's quiet configuration then.
        if (System.getProperty("logback.configurationFile") == null
                && LoadGeneratorTest.class.getResource("/logback.xml") == null
                && LoadGeneratorTest.class.getResource("/logback-test.xml") == null) {
            System.setProperty("logback.configurationFile", "pbkv-cli-logback.xml");
        }
    }

    /** Get and Put over a map; every {@code failEveryGet}-th get fails with INTERNAL when set. */
    static final class FakeKeyValue extends KeyValueGrpc.KeyValueImplBase {
        final Map<ByteString, ByteString> data = new ConcurrentHashMap<>();
        final AtomicLong puts = new AtomicLong();
        final AtomicLong gets = new AtomicLong();
        volatile int failEveryGet;
        /** Each get is answered this much later (on a timer, the server's thread is not held). */
        volatile long getDelayMillis;

        private final java.util.concurrent.ScheduledExecutorService later =
                java.util.concurrent.Executors.newSingleThreadScheduledExecutor();

        @Override
        public void get(GetRequest req, StreamObserver<GetResponse> o) {
            long delay = getDelayMillis;
            if (delay > 0) {
                later.schedule(() -> answerGet(req, o), delay, TimeUnit.MILLISECONDS);
                return;
            }
            answerGet(req, o);
        }

        private void answerGet(GetRequest req, StreamObserver<GetResponse> o) {
            long n = gets.incrementAndGet();
            int every = failEveryGet;
            if (every > 0 && n % every == 0) {
                o.onError(Status.INTERNAL.withDescription("injected").asRuntimeException());
                return;
            }
            ByteString v = data.get(req.getKey());
            if (v == null) {
                o.onError(Status.NOT_FOUND.asRuntimeException());
                return;
            }
            o.onNext(GetResponse.newBuilder().setValue(v).build());
            o.onCompleted();
        }

        @Override
        public void put(WriteRequest req, StreamObserver<WriteResponse> o) {
            boolean created = data.put(req.getKey(), req.getValue()) == null;
            o.onNext(WriteResponse.newBuilder()
                    .setOffset(puts.incrementAndGet())
                    .setCreated(created)
                    .build());
            o.onCompleted();
        }
    }

    private final FakeKeyValue kv = new FakeKeyValue();
    private Server server;

    @BeforeEach
    void start() throws IOException {
        server = NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0))
                .addService(kv)
                .build()
                .start();
    }

    @AfterEach
    void stop() throws InterruptedException {
        server.shutdownNow();
        server.awaitTermination(5, TimeUnit.SECONDS);
    }

    private record Run(int code, String out, String err, JsonNode json, Path file) {}

    private Run run(Path outDir, String... extra) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        List<String> args = new java.util.ArrayList<>(List.of(
                "--server",
                "127.0.0.1:" + server.getPort(),
                "--keys",
                "1000",
                "--value-size",
                "100",
                "--out-dir",
                outDir.toString()));
        args.addAll(List.of(extra));
        int code = LoadGenerator.run(
                new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8),
                false,
                args.toArray(new String[0]));
        List<Path> files;
        try (Stream<Path> s = Files.list(outDir)) {
            files = s.collect(Collectors.toList());
        }
        Path file = files.isEmpty() ? null : files.get(files.size() - 1);
        JsonNode json = file == null ? null : new ObjectMapper().readTree(file.toFile());
        return new Run(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8), json, file);
    }

    @Test
    void pipelinedRunWritesJsonWithOpsAndPercentiles(@TempDir Path dir) throws IOException {
        Run r = run(
                dir,
                "--mode",
                "pipelined",
                "--concurrency",
                "16",
                "--read-ratio",
                "0.5",
                "--warmup",
                "0.5",
                "--duration",
                "1.5");

        assertThat(r.code()).as(r.err()).isZero();
        assertThat(r.file().getFileName().toString()).matches("bench-grpc-\\d{8}-\\d{6}\\.json");
        assertThat(kv.data).as("the key space was preloaded").hasSize(1000);
        JsonNode j = r.json();
        assertThat(j.get("mode").asText()).isEqualTo("pipelined");
        assertThat(j.get("concurrency").asInt()).isEqualTo(16);
        assertThat(j.get("ops").asLong()).isPositive();
        assertThat(j.get("opsPerSec").asDouble()).isPositive();
        assertThat(j.get("reads").asLong()).isPositive();
        assertThat(j.get("writes").asLong()).isPositive();
        assertThat(j.get("reads").asLong() + j.get("writes").asLong())
                .isEqualTo(j.get("ops").asLong());
        assertThat(j.get("readMisses").asLong()).isZero();
        assertThat(j.get("errors").asLong()).isZero();
        JsonNode lat = j.get("latencyMicros");
        assertThat(lat.get("p50").asLong()).isPositive();
        assertThat(lat.get("p99").asLong())
                .isGreaterThanOrEqualTo(lat.get("p50").asLong());
        assertThat(lat.get("p999").asLong())
                .isGreaterThanOrEqualTo(lat.get("p99").asLong());
        assertThat(r.err()).contains("preloading 1,000 keys").contains("ops/s");
        assertThat(r.out()).contains("latency us: p50").contains("result: " + r.file());
    }

    @Test
    void rateRunIssuesThatManyRequestsPerSecond(@TempDir Path dir) throws IOException {
        Run r = run(dir, "--rate", "500", "--concurrency", "8", "--warmup", "0", "--duration", "2");

        assertThat(r.code()).as(r.err()).isZero();
        JsonNode j = r.json();
        assertThat(j.get("rate").asDouble()).isEqualTo(500.0);
        assertThat(j.get("errors").asLong()).isZero();
        assertThat(j.get("opsPerSec").asDouble()).isBetween(400.0, 560.0);
        assertThat(r.out()).contains("rate 500 ops/s");
    }

    @Test
    void rateRunCountsLatencyFromWhenARequestWasDueSoAStallIsNotHidden(@TempDir Path dir) throws IOException {
        kv.getDelayMillis = 50;
        // Two in flight at 50 ms each serve 40 requests/s; 200/s are due, so requests queue.
        Run r = run(
                dir,
                "--no-preload",
                "--read-ratio",
                "1.0",
                "--rate",
                "200",
                "--concurrency",
                "2",
                "--warmup",
                "0",
                "--duration",
                "2");

        assertThat(r.code()).as(r.err()).isZero();
        JsonNode j = r.json();
        assertThat(j.get("opsPerSec").asDouble()).isLessThan(60.0);
        // A closed loop would report about 50 ms for every request; due times make the queue show.
        assertThat(j.get("latencyMicros").get("p50").asLong()).isGreaterThan(200_000L);
    }

    @Test
    void blockingRunCountsErrorsInsteadOfHidingThem(@TempDir Path dir) throws IOException {
        kv.failEveryGet = 10;
        Run r = run(
                dir,
                "--mode",
                "blocking",
                "--concurrency",
                "4",
                "--read-ratio",
                "1.0",
                "--warmup",
                "0",
                "--duration",
                "1");

        assertThat(r.code()).as(r.err()).isZero();
        JsonNode j = r.json();
        assertThat(j.get("mode").asText()).isEqualTo("blocking");
        assertThat(j.get("writes").asLong()).isZero();
        assertThat(j.get("reads").asLong()).isPositive();
        assertThat(j.get("errors").asLong()).isPositive();
        assertThat(j.get("errorsByCode").get("INTERNAL").asLong())
                .isEqualTo(j.get("errors").asLong());
        assertThat(r.out()).contains("INTERNAL");
    }

    @Test
    void badOptionsAreUsageErrors(@TempDir Path dir) throws IOException {
        assertThat(run(dir, "--read-ratio", "1.5").code()).isEqualTo(2);
        assertThat(run(dir, "--mode", "sideways").code()).isEqualTo(2);
        assertThat(run(dir, "--rate", "-1").code()).isEqualTo(2);
        assertThat(run(dir, "--mode", "blocking", "--rate", "100").code()).isEqualTo(2);
        assertThat(kv.puts.get()).isZero();
    }

    /** A run whose $PBKV_PASSWORD comes from {@code env}; only the exit code and stderr matter here. */
    private int runWithEnv(Map<String, String> env, ByteArrayOutputStream err, String... extra) {
        List<String> args = new java.util.ArrayList<>(List.of("--server", "127.0.0.1:" + server.getPort()));
        args.addAll(List.of(extra));
        return LoadGenerator.run(
                new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8),
                env,
                args.toArray(new String[0]));
    }

    @Test
    void credentialAndTlsOptionsThatCannotWorkAreUsageErrors(@TempDir Path dir) throws IOException {
        Path empty = Files.writeString(dir.resolve("empty.password"), "\n");
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        assertThat(runWithEnv(Map.of(), err, "--user", "app")).isEqualTo(2);
        assertThat(err.toString(StandardCharsets.UTF_8))
                .contains("--user app needs a password: --password-file FILE or $PBKV_PASSWORD");
        assertThat(runWithEnv(Map.of(), err, "--password-file", empty.toString()))
                .isEqualTo(2);
        assertThat(err.toString(StandardCharsets.UTF_8)).contains("--password-file needs --user");
        assertThat(runWithEnv(Map.of(), err, "--user", "app", "--password-file", empty.toString()))
                .isEqualTo(2);
        assertThat(err.toString(StandardCharsets.UTF_8)).contains("is empty");
        assertThat(runWithEnv(Map.of(), err, "--tls-ca", dir.resolve("none.pem").toString()))
                .isEqualTo(2);
        assertThat(err.toString(StandardCharsets.UTF_8)).contains("--tls-ca: cannot read");
        assertThat(runWithEnv(Map.of(), err, "--tls-cert", "c.pem")).isEqualTo(2);
        assertThat(err.toString(StandardCharsets.UTF_8)).contains("--tls-cert and --tls-key go together");
        assertThat(kv.puts.get()).isZero();
    }
}
