package dev.pbkv.tester.load;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.pbkv.client.Endpoint;
import dev.pbkv.client.PbkvAsyncClient;
import dev.pbkv.client.PbkvClient;
import dev.pbkv.client.PbkvClientBuilder;
import dev.pbkv.client.PbkvException;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.HdrHistogram.Histogram;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * The gRPC load generator behind {@code bin/bench grpc}: keeps N requests in flight against a
 * node or a pair through the real pbkv client (blocking threads, or the async client pipelined),
 * prints a progress line each second, then the throughput and the latency percentiles, which it
 * also writes as JSON to {@code <out-dir>/bench-grpc-<timestamp>.json}.
 */
@Command(
        name = "bench-grpc",
        mixinStandardHelpOptions = true,
        sortOptions = false,
        description = "Drives a pbkv node or pair over gRPC and measures throughput and latency.",
        exitCodeListHeading = "%nExit codes:%n",
        exitCodeList = {
            "0:the run completed (errors, if any, are counted in the report)",
            "1:no operation succeeded",
            "2:usage error",
            "3:the key space could not be preloaded"
        })
public final class LoadGenerator implements Callable<Integer> {

    /** Blocking: N threads, one call each. Pipelined: the async client with N calls in flight. */
    enum Mode {
        blocking,
        pipelined
    }

    @Option(
            names = "--server",
            paramLabel = "HOST:PORT",
            description = "A node's gRPC address; repeat for both nodes of a pair." + " Default: the pair in --config.")
    List<String> servers = new ArrayList<>();

    @Option(
            names = "--config",
            paramLabel = "FILE",
            defaultValue = "conf/settings.conf",
            description = "The settings file naming the pair, used without --server" + " (default ${DEFAULT-VALUE}).")
    Path config;

    @Option(
            names = "--concurrency",
            paramLabel = "N",
            defaultValue = "16",
            description = "Requests in flight (default ${DEFAULT-VALUE}).")
    int concurrency;

    @Option(
            names = "--rate",
            paramLabel = "OPS",
            defaultValue = "0",
            description = "Pipelined mode: issue OPS requests per second (open loop: latency counts from"
                    + " when each request was due, so a stall is not hidden), at most --concurrency in"
                    + " flight; 0 (default) keeps --concurrency in flight as fast as they complete.")
    double rate;

    @Option(
            names = "--mode",
            defaultValue = "pipelined",
            description = "blocking or pipelined (default ${DEFAULT-VALUE}).")
    Mode mode;

    @Option(
            names = "--callbacks",
            paramLabel = "network|pool",
            defaultValue = "network",
            description = "Pipelined mode: complete calls and issue the next one on the network thread,"
                    + " or on gRPC's executor pool (default ${DEFAULT-VALUE}).")
    String callbacks;

    @Option(
            names = "--keys",
            paramLabel = "N",
            defaultValue = "100000",
            description = "Size of the key space (default ${DEFAULT-VALUE}).")
    int keys;

    @Option(
            names = "--value-size",
            paramLabel = "BYTES",
            defaultValue = "100",
            description = "Bytes per value (default ${DEFAULT-VALUE}).")
    int valueSize;

    @Option(
            names = "--read-ratio",
            paramLabel = "R",
            defaultValue = "0.5",
            description = "Share of reads, 0..1 (default ${DEFAULT-VALUE}).")
    double readRatio;

    @Option(
            names = "--duration",
            paramLabel = "SECONDS",
            defaultValue = "10",
            description = "Measured seconds (default ${DEFAULT-VALUE}).")
    double durationSeconds;

    @Option(
            names = "--warmup",
            paramLabel = "SECONDS",
            defaultValue = "3",
            description = "Seconds run before measuring (default ${DEFAULT-VALUE}).")
    double warmupSeconds;

    @Option(names = "--no-preload", negatable = false, description = "Do not write every key once before the run.")
    boolean noPreload;

    @Option(
            names = "--retry-deadline",
            paramLabel = "SECONDS",
            defaultValue = "10",
            description = "How long one call retries an unavailable node (default ${DEFAULT-VALUE}).")
    double retryDeadlineSeconds;

    @Option(
            names = "--call-timeout",
            paramLabel = "SECONDS",
            defaultValue = "5",
            description = "The deadline of one attempt of one call (default ${DEFAULT-VALUE}).")
    double callTimeoutSeconds;

    @Option(
            names = "--out-dir",
            paramLabel = "DIR",
            defaultValue = "target/bench",
            description = "Where the JSON result goes (default ${DEFAULT-VALUE}).")
    Path outDir;

    @Option(names = "--label", description = "A free-form label stored in the JSON result.")
    String label = "";

    @Option(
            names = "--tls-ca",
            paramLabel = "FILE",
            description = "Talk TLS to the nodes, trusting the CA certificates in FILE (PEM)."
                    + " Without --server, a --config whose tls.cert-file is set turns TLS on by itself.")
    Path tlsCa;

    @Option(
            names = "--tls-cert",
            paramLabel = "FILE",
            description = "With --tls-ca: present this client certificate (PEM), for tls.client-auth.")
    Path tlsCert;

    @Option(names = "--tls-key", paramLabel = "FILE", description = "The key of --tls-cert (PEM, PKCS#8).")
    Path tlsKey;

    @Option(
            names = "--user",
            paramLabel = "NAME",
            description = "Authenticate as NAME; the password comes from --password-file or $PBKV_PASSWORD,"
                    + " never from the command line.")
    String user;

    @Option(
            names = "--password-file",
            paramLabel = "FILE",
            description = "With --user: the password is the first line of FILE.")
    Path passwordFile;

    /** Where $PBKV_PASSWORD is read from (the process environment; tests pass their own). */
    private Map<String, String> env = System.getenv();

    private final PrintStream out;
    private final PrintStream err;
    private final boolean terminal;
    /** The JSON file the last run wrote. */
    private Path resultFile;

    public LoadGenerator(PrintStream out, PrintStream err, boolean terminal) {
        this.out = out;
        this.err = err;
        this.terminal = terminal;
    }

    public static void main(String[] args) {
        // Library debug logging (a line per Netty frame) would cost more than the load itself.
        if (System.getProperty("logback.configurationFile") == null
                && LoadGenerator.class.getResource("/logback.xml") == null) {
            System.setProperty("logback.configurationFile", "pbkv-cli-logback.xml");
        }
        System.exit(run(System.out, System.err, System.console() != null, args));
    }

    public static int run(PrintStream out, PrintStream err, boolean terminal, String... args) {
        LoadGenerator gen = new LoadGenerator(out, err, terminal);
        return commandLine(gen).execute(args);
    }

    /** As above, with $PBKV_PASSWORD read from {@code env} (tests). */
    static int run(PrintStream out, PrintStream err, Map<String, String> env, String... args) {
        LoadGenerator gen = new LoadGenerator(out, err, false).environment(env);
        return commandLine(gen).execute(args);
    }

    static CommandLine commandLine(LoadGenerator gen) {
        CommandLine cmd = new CommandLine(gen);
        // bin/bench grpc passes defaults (--config, --out-dir) ahead of the user's: the last wins.
        cmd.setOverwrittenOptionsAllowed(true);
        cmd.setOut(new java.io.PrintWriter(gen.out, true));
        cmd.setErr(new java.io.PrintWriter(gen.err, true));
        cmd.setExecutionExceptionHandler((e, line, parsed) -> {
            if (e instanceof IllegalArgumentException || e instanceof java.io.UncheckedIOException) {
                gen.err.println("bench-grpc: " + e.getMessage());
                return 2;
            }
            gen.err.println("bench-grpc: " + e);
            return 1;
        });
        return cmd;
    }

    Path resultFile() {
        return resultFile;
    }

    /** Reads $PBKV_PASSWORD from {@code environment} instead of the process's (tests). */
    LoadGenerator environment(Map<String, String> environment) {
        this.env = environment;
        return this;
    }

    /** --tls-ca, --tls-cert/--tls-key, --user with --password-file or $PBKV_PASSWORD. */
    private void secure(PbkvClientBuilder builder) {
        if ((tlsCert == null) != (tlsKey == null)) {
            throw new IllegalArgumentException("--tls-cert and --tls-key go together");
        }
        if (tlsCert != null && tlsCa == null) {
            throw new IllegalArgumentException("--tls-cert needs --tls-ca");
        }
        if (tlsCa != null) {
            if (!Files.isReadable(tlsCa)) {
                throw new IllegalArgumentException("--tls-ca: cannot read " + tlsCa);
            }
            builder.tls(tlsCa);
            if (tlsCert != null) {
                builder.tlsClientCertificate(tlsCert, tlsKey);
            }
        }
        if (user == null) {
            if (passwordFile != null) {
                throw new IllegalArgumentException("--password-file needs --user");
            }
            return;
        }
        String password;
        if (passwordFile != null) {
            try {
                List<String> lines = Files.readAllLines(passwordFile, java.nio.charset.StandardCharsets.UTF_8);
                password = lines.isEmpty() ? "" : lines.get(0);
            } catch (IOException e) {
                throw new IllegalArgumentException("--password-file: cannot read " + passwordFile);
            }
            if (password.isEmpty()) {
                throw new IllegalArgumentException("--password-file: the first line of " + passwordFile + " is empty");
            }
        } else {
            password = env.get("PBKV_PASSWORD");
            if (password == null || password.isEmpty()) {
                throw new IllegalArgumentException(
                        "--user " + user + " needs a password: --password-file FILE or $PBKV_PASSWORD");
            }
        }
        builder.credentials(user, password);
    }

    @Override
    public Integer call() throws Exception {
        if (concurrency < 1) {
            throw new IllegalArgumentException("--concurrency must be at least 1, got " + concurrency);
        }
        if (rate < 0 || (rate > 0 && mode != Mode.pipelined)) {
            throw new IllegalArgumentException("--rate must be 0 (off) or above 0 with --mode pipelined, got " + rate);
        }
        if (durationSeconds <= 0 || warmupSeconds < 0) {
            throw new IllegalArgumentException("--duration must be > 0 and --warmup >= 0");
        }
        Workload workload = new Workload(keys, valueSize, readRatio);
        PbkvClientBuilder builder = PbkvClient.builder()
                .retryDeadline(Duration.ofMillis((long) (retryDeadlineSeconds * 1000)))
                .callTimeout(Duration.ofMillis((long) (callTimeoutSeconds * 1000)));
        if (servers.isEmpty()) {
            builder.settings(config);
        }
        for (String s : servers) {
            builder.endpoint(Endpoint.parse(s));
        }
        secure(builder);
        if (!callbacks.equals("network") && !callbacks.equals("pool")) {
            throw new IllegalArgumentException("--callbacks must be network or pool, got " + callbacks);
        }
        if (mode == Mode.pipelined && callbacks.equals("network")) {
            // Completions issue the next request right on the network thread: no hand-off per call.
            builder.callbackExecutor(Runnable::run);
        }

        try (PbkvAsyncClient async = builder.buildAsync();
                PbkvClient blocking = mode == Mode.blocking ? builder.build() : null) {
            if (!noPreload && !preload(async, workload)) {
                return 3;
            }
            LatencyStats stats = new LatencyStats();
            ExecutorService handOff = Executors.newSingleThreadExecutor(r -> named(r, "pbkv-load-handoff"));
            LoadDriver driver = mode == Mode.blocking
                    ? new BlockingDriver(blocking, workload, stats, concurrency)
                    : rate > 0
                            ? new RateDriver(async, workload, stats, rate, concurrency)
                            : new PipelinedDriver(async, workload, stats, concurrency, handOff);
            Map<String, Object> result;
            ScheduledExecutorService ticker =
                    Executors.newSingleThreadScheduledExecutor(r -> named(r, "pbkv-load-progress"));
            try {
                AtomicReference<String> phase = new AtomicReference<>(warmupSeconds > 0 ? "warmup" : "run");
                long runStart = System.nanoTime();
                ticker.scheduleAtFixedRate(() -> progress(stats, phase.get(), runStart), 1, 1, TimeUnit.SECONDS);
                driver.start();
                if (warmupSeconds > 0) {
                    sleepSeconds(warmupSeconds);
                    stats.reset();
                    phase.set("run");
                }
                long measureStart = System.nanoTime();
                sleepSeconds(durationSeconds);
                driver.stop();
                long measureEnd = System.nanoTime();
                ticker.shutdownNow();
                ticker.awaitTermination(5, TimeUnit.SECONDS);
                stats.drain();
                if (terminal) {
                    err.println();
                }
                result = report(stats, (measureEnd - measureStart) / 1e9, async.endpoints());
            } finally {
                ticker.shutdownNow();
                handOff.shutdownNow();
            }
            resultFile = write(result);
            printSummary(result);
            out.println("result: " + resultFile);
            return ((Number) result.get("ops")).longValue() > 0 ? 0 : 1;
        }
    }

    private boolean preload(PbkvAsyncClient client, Workload workload) throws InterruptedException {
        err.printf("preloading %,d keys of %d bytes...%n", workload.keyCount(), valueSize);
        long start = System.nanoTime();
        Semaphore inFlight = new Semaphore(256);
        AtomicReference<Throwable> failure = new AtomicReference<>();
        for (int i = 0; i < workload.keyCount() && failure.get() == null; i++) {
            inFlight.acquire();
            CompletableFuture<?> f = client.put(workload.key(i), workload.value());
            f.whenComplete((v, e) -> {
                if (e != null) {
                    failure.compareAndSet(null, e);
                }
                inFlight.release();
            });
        }
        inFlight.acquire(256);
        if (failure.get() != null) {
            Throwable e = failure.get() instanceof java.util.concurrent.CompletionException
                            && failure.get().getCause() != null
                    ? failure.get().getCause()
                    : failure.get();
            err.println("bench-grpc: preload failed: " + (e instanceof PbkvException ? e.getMessage() : e.toString()));
            return false;
        }
        err.printf("preloaded in %.1f s%n", (System.nanoTime() - start) / 1e9);
        return true;
    }

    private void progress(LatencyStats stats, String phase, long runStart) {
        LatencyStats.Interval interval = stats.drain();
        Histogram h = interval.latencies();
        long elapsed = Math.round((System.nanoTime() - runStart) / 1e9);
        String line = String.format(
                "%-6s %4ds %,12d ops/s  p50 %,8d us  p99 %,8d us  errors %,d",
                phase,
                elapsed,
                h.getTotalCount(),
                h.getValueAtPercentile(50),
                h.getValueAtPercentile(99),
                interval.errorsSoFar());
        if (terminal) {
            err.print("\r" + line);
        } else {
            err.println(line);
        }
        err.flush();
    }

    private Map<String, Object> report(LatencyStats stats, double elapsedSeconds, List<Endpoint> endpoints) {
        Histogram all = stats.totalAll();
        Histogram reads = stats.totalReads();
        Histogram writes = stats.totalWrites();
        Map<String, Object> r = new LinkedHashMap<>();
        r.put("benchmark", "grpc");
        r.put("timestamp", Instant.now().toString());
        r.put("label", label);
        r.put("servers", endpoints.stream().map(Endpoint::toString).toList());
        r.put("tls", tlsCa != null);
        r.put("user", user == null ? "" : user);
        r.put("mode", mode.name());
        r.put("concurrency", concurrency);
        r.put("rate", rate);
        r.put("callbacks", mode == Mode.pipelined ? callbacks : "caller");
        r.put("keys", keys);
        r.put("valueSize", valueSize);
        r.put("readRatio", readRatio);
        r.put("warmupSeconds", warmupSeconds);
        r.put("durationSeconds", durationSeconds);
        r.put("elapsedSeconds", round(elapsedSeconds));
        r.put("ops", all.getTotalCount());
        r.put("opsPerSec", round(all.getTotalCount() / elapsedSeconds));
        r.put("reads", reads.getTotalCount());
        r.put("writes", writes.getTotalCount());
        r.put("readMisses", stats.readMisses());
        r.put("errors", stats.errorCount());
        r.put("errorsByCode", stats.errorsByCode());
        r.put("latencyMicros", percentiles(all));
        r.put("readLatencyMicros", percentiles(reads));
        r.put("writeLatencyMicros", percentiles(writes));
        r.put("cpus", Runtime.getRuntime().availableProcessors());
        return r;
    }

    private static Map<String, Object> percentiles(Histogram h) {
        Map<String, Object> p = new LinkedHashMap<>();
        p.put("p50", h.getValueAtPercentile(50));
        p.put("p90", h.getValueAtPercentile(90));
        p.put("p99", h.getValueAtPercentile(99));
        p.put("p999", h.getValueAtPercentile(99.9));
        p.put("max", h.getMaxValue());
        p.put("mean", round(h.getTotalCount() == 0 ? 0 : h.getMean()));
        return p;
    }

    private Path write(Map<String, Object> result) throws IOException {
        Files.createDirectories(outDir);
        String stamp = DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss")
                .withZone(ZoneOffset.UTC)
                .format(Instant.now());
        Path file = outDir.resolve("bench-grpc-" + stamp + ".json");
        for (int n = 2; Files.exists(file); n++) {
            file = outDir.resolve("bench-grpc-" + stamp + "-" + n + ".json");
        }
        new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValue(file.toFile(), result);
        return file;
    }

    @SuppressWarnings("unchecked")
    private void printSummary(Map<String, Object> r) {
        Map<String, Object> lat = (Map<String, Object>) r.get("latencyMicros");
        out.printf(
                "mode %s, concurrency %d%s, %d keys, %d-byte values, %.0f%% reads, %.1f s measured%n",
                r.get("mode"),
                concurrency,
                rate > 0 ? String.format(" (the most in flight), rate %,.0f ops/s", rate) : "",
                keys,
                valueSize,
                readRatio * 100,
                r.get("elapsedSeconds"));
        out.printf(
                "ops %,d  (%,.0f ops/s)  reads %,d (misses %,d)  writes %,d  errors %,d %s%n",
                r.get("ops"),
                r.get("opsPerSec"),
                r.get("reads"),
                r.get("readMisses"),
                r.get("writes"),
                r.get("errors"),
                r.get("errorsByCode"));
        out.printf(
                "latency us: p50 %,d  p90 %,d  p99 %,d  p99.9 %,d  max %,d  mean %.1f%n",
                lat.get("p50"), lat.get("p90"), lat.get("p99"), lat.get("p999"), lat.get("max"), lat.get("mean"));
    }

    private static double round(double v) {
        return Math.round(v * 100) / 100.0;
    }

    private static void sleepSeconds(double seconds) throws InterruptedException {
        TimeUnit.MILLISECONDS.sleep((long) (seconds * 1000));
    }

    private static Thread named(Runnable r, String name) {
        Thread t = new Thread(r, name);
        t.setDaemon(true);
        return t;
    }
}
