package dev.pbkv.bench;

import java.io.IOException;
import java.io.Reader;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;
import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.RunnerException;
import org.openjdk.jmh.runner.options.ChainedOptionsBuilder;
import org.openjdk.jmh.runner.options.OptionsBuilder;
import org.openjdk.jmh.runner.options.TimeValue;
import org.openjdk.jmh.runner.options.VerboseMode;

/**
 * Runs {@link StoreVsChmBenchmark} at 1 and 2 threads and prints one table: throughput of each
 * map, the ratio store/CHM, bytes per entry of each and their ratio, full GCs during the runs.
 * {@code bin/bench store [--quick|--full]} calls this.
 */
public final class StoreBenchmarkMain {
    private StoreBenchmarkMain() {}

    public static void main(String[] args) throws RunnerException, IOException {
        boolean quick = false;
        Path out = Path.of("target/bench/store");
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--quick" -> quick = true;
                case "--full" -> quick = false;
                case "--out" -> out = Path.of(args[++i]);
                default -> {
                    System.err.println("usage: StoreBenchmarkMain [--quick|--full] [--out DIR]");
                    System.exit(2);
                }
            }
        }
        Files.createDirectories(out);
        try (var old = Files.list(out)) {
            for (Path p : (Iterable<Path>) old::iterator) {
                Files.delete(p);
            }
        }
        String started = Instant.now().toString();
        double loadBefore = ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage();
        // One (mix, threads) pair at a time, store and CHM back to back, repeated in rounds: the
        // machine's load drifts, and a ratio of two runs minutes apart would measure the drift.
        int rounds = quick ? 1 : 3;
        Map<String, List<Double>> scores = new TreeMap<>();
        for (int round = 1; round <= rounds; round++) {
            for (int threads : new int[] {1, 2}) {
                for (int put : new int[] {10, 50}) {
                    ChainedOptionsBuilder opts = new OptionsBuilder()
                            .include(StoreVsChmBenchmark.class.getName() + ".op")
                            .param("putPercent", String.valueOf(put))
                            .threads(threads)
                            .forks(1)
                            .shouldFailOnError(true)
                            .jvmArgs(
                                    "-Xms2g",
                                    "-Xmx2g",
                                    "-XX:+UseG1GC",
                                    "-Dpbkv.bench.out=" + out.toAbsolutePath(),
                                    "-Dpbkv.bench.round=" + round,
                                    "-Xlog:gc:file=" + out.toAbsolutePath() + "/gc-%p.log")
                            .verbosity(VerboseMode.SILENT);
                    if (quick) {
                        opts.warmupIterations(1)
                                .warmupTime(TimeValue.seconds(1))
                                .measurementIterations(1)
                                .measurementTime(TimeValue.seconds(1));
                    } else {
                        opts.warmupIterations(2)
                                .warmupTime(TimeValue.seconds(2))
                                .measurementIterations(3)
                                .measurementTime(TimeValue.seconds(2));
                    }
                    System.out.printf("round %d/%d: %d%% puts, %d thread(s)...%n", round, rounds, put, threads);
                    Collection<RunResult> results = new Runner(opts.build()).run();
                    for (RunResult r : results) {
                        String key = r.getParams().getParam("impl") + "-put" + put + "-t" + threads;
                        scores.computeIfAbsent(key, k -> new ArrayList<>())
                                .add(r.getPrimaryResult().getScore());
                    }
                }
            }
        }
        Map<String, Double> score = new TreeMap<>();
        scores.forEach((k, v) -> score.put(k, median(v)));
        Map<String, Double> ratio = new TreeMap<>();
        Map<String, Double> cpuRatio = new TreeMap<>();
        Map<String, Double> cpuScore = new TreeMap<>();
        Map<String, String> roundDetail = new TreeMap<>();
        for (int put : new int[] {10, 50}) {
            for (int threads : new int[] {1, 2}) {
                List<Double> s = scores.get("store-put" + put + "-t" + threads);
                List<Double> c = scores.get("chm-put" + put + "-t" + threads);
                List<Double> perRound = new ArrayList<>();
                List<Double> perRoundCpu = new ArrayList<>();
                List<Double> storeCpu = new ArrayList<>();
                List<Double> chmCpu = new ArrayList<>();
                StringBuilder detail = new StringBuilder();
                for (int i = 0; i < Math.min(s.size(), c.size()); i++) {
                    perRound.add(s.get(i) / c.get(i));
                    // ops per CPU-second = (ops per wall second) / (CPU seconds per wall second)
                    double sc = s.get(i) / cpuPerWall(out, "store", put, threads, i + 1);
                    double cc = c.get(i) / cpuPerWall(out, "chm", put, threads, i + 1);
                    storeCpu.add(sc);
                    chmCpu.add(cc);
                    perRoundCpu.add(sc / cc);
                    detail.append(String.format(Locale.ROOT, " %.2fx/%.2fx", s.get(i) / c.get(i), sc / cc));
                }
                ratio.put(put + "-" + threads, median(perRound));
                cpuRatio.put(put + "-" + threads, median(perRoundCpu));
                cpuScore.put("store-" + put + "-" + threads, median(storeCpu));
                cpuScore.put("chm-" + put + "-" + threads, median(chmCpu));
                roundDetail.put(put + "-" + threads, detail.toString());
            }
        }

        System.out.println();
        System.out.printf(
                "store (BucketedMap) vs ConcurrentHashMap<ByteArrayKey, byte[]>: 1,000,000 keys of 16 B, 100-B values; %s mode, started %s%n",
                quick ? "quick" : "full", started);
        System.out.printf(
                Locale.ROOT,
                "(medians over %d round(s); the ratio is the median of per-round ratios; %d CPUs, load average %.1f before, %.1f after)%n",
                rounds,
                Runtime.getRuntime().availableProcessors(),
                loadBefore,
                ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage());
        System.out.printf(
                "%-12s %7s %12s %12s %9s | %14s %14s %9s | %s%n",
                "mix",
                "threads",
                "store ops/s",
                "chm ops/s",
                "store/chm",
                "store ops/cpu-s",
                "chm ops/cpu-s",
                "store/chm",
                "per round: wall/cpu ratio");
        for (int put : new int[] {10, 50}) {
            for (int threads : new int[] {1, 2}) {
                double s = score.getOrDefault("store-put" + put + "-t" + threads, Double.NaN);
                double c = score.getOrDefault("chm-put" + put + "-t" + threads, Double.NaN);
                String k = put + "-" + threads;
                System.out.printf(
                        Locale.ROOT,
                        "%-12s %7d %12.0f %12.0f %8.2fx | %14.0f %14.0f %8.2fx |%s%n",
                        (100 - put) + "get/" + put + "put",
                        threads,
                        s,
                        c,
                        ratio.get(k),
                        cpuScore.get("store-" + k),
                        cpuScore.get("chm-" + k),
                        cpuRatio.get(k),
                        roundDetail.get(k));
            }
        }
        Properties store = read(out.resolve("store-put10-t1-r1.properties"));
        Properties chm = read(out.resolve("chm-put10-t1-r1.properties"));
        double storeBytes = Double.parseDouble(store.getProperty("mapBytesPerEntry", "NaN"));
        double storeHeap = Double.parseDouble(store.getProperty("heapBytesPerEntry", "NaN"));
        double chmBytes = Double.parseDouble(chm.getProperty("mapBytesPerEntry", "NaN"));
        System.out.printf(
                Locale.ROOT,
                "bytes/entry: store %.1f (arena used + index; heap growth incl. the whole reserved arena %.1f), chm %.1f (heap after GC); store/chm %.2fx%n",
                storeBytes,
                storeHeap,
                chmBytes,
                storeBytes / chmBytes);
        long storeFull = 0;
        long chmFull = 0;
        long storeYoung = 0;
        long chmYoung = 0;
        try (var files = Files.list(out)) {
            for (Path p : (Iterable<Path>) files::iterator) {
                if (!p.toString().endsWith(".properties")) {
                    continue;
                }
                Properties r = read(p);
                long full = Long.parseLong(r.getProperty("fullGc"));
                long young = Long.parseLong(r.getProperty("youngGc"));
                if (r.getProperty("impl").equals("store")) {
                    storeFull += full;
                    storeYoung += young;
                } else {
                    chmFull += full;
                    chmYoung += young;
                }
            }
        }
        System.out.printf(
                "GCs during the timed runs (after preload): store %d full / %d young, chm %d full / %d young (logs: %s/gc-*.log)%n",
                storeFull, storeYoung, chmFull, chmYoung, out);
        double worst = Math.min(ratio.get("10-2"), ratio.get("50-2"));
        double worstCpu = Math.min(cpuRatio.get("10-2"), cpuRatio.get("50-2"));
        System.out.printf(
                Locale.ROOT,
                "targets: throughput >= 0.80x at 2 threads: %s (worst %.2fx wall, %.2fx per CPU-second); bytes/entry <= 0.75x: %s (%.2fx); no full GC: %s%n",
                worst >= 0.8 ? "met" : "MISSED",
                worst,
                worstCpu,
                storeBytes / chmBytes <= 0.75 ? "met" : "MISSED",
                storeBytes / chmBytes,
                storeFull == 0 ? "met" : "MISSED");
    }

    private static double cpuPerWall(Path out, String impl, int put, int threads, int round) throws IOException {
        Properties p = read(out.resolve(impl + "-put" + put + "-t" + threads + "-r" + round + ".properties"));
        return Double.parseDouble(p.getProperty("cpuPerWall", "NaN"));
    }

    private static double median(List<Double> values) {
        List<Double> sorted = new ArrayList<>(values);
        Collections.sort(sorted);
        int n = sorted.size();
        return n == 0 ? Double.NaN : n % 2 == 1 ? sorted.get(n / 2) : (sorted.get(n / 2 - 1) + sorted.get(n / 2)) / 2;
    }

    private static Properties read(Path p) throws IOException {
        Properties props = new Properties();
        if (Files.exists(p)) {
            try (Reader r = Files.newBufferedReader(p)) {
                props.load(r);
            }
        }
        return props;
    }
}
