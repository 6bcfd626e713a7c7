package dev.pbkv.store.bench;

import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.RunnerException;
import org.openjdk.jmh.runner.options.ChainedOptionsBuilder;
import org.openjdk.jmh.runner.options.OptionsBuilder;
import org.openjdk.jmh.runner.options.TimeValue;
import org.openjdk.jmh.runner.options.VerboseMode;

import java.io.IOException;
import java.io.Reader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Collection;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;

/**
 * Runs {@link StoreVsChmBenchmark} at 1 and 2 threads and prints one table: throughput of each
 * map, the ratio store/CHM, bytes per entry of each and their ratio, full GCs during the runs.
 * {@code bin/bench store [--quick|--full]} calls this.
 */
public final class StoreBenchmarkMain {
    private StoreBenchmarkMain() {
    }

    public static void main(String[] args) throws RunnerException, IOException {
        boolean quick = false;
        Path out = Path.of("store/target/bench-store");
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
        Map<String, Double> score = new TreeMap<>();
        Map<String, Double> error = new TreeMap<>();
        for (int threads : new int[] {1, 2}) {
            ChainedOptionsBuilder opts = new OptionsBuilder()
                    .include(StoreVsChmBenchmark.class.getName() + ".op")
                    .threads(threads)
                    .forks(1)
                    .shouldFailOnError(true)
                    .jvmArgs("-Xms2g", "-Xmx2g", "-XX:+UseG1GC", "-Dpbkv.bench.out=" + out.toAbsolutePath(),
                            "-Xlog:gc:file=" + out.toAbsolutePath() + "/gc-%p.log")
                    .verbosity(VerboseMode.SILENT);
            if (quick) {
                opts.warmupIterations(1).warmupTime(TimeValue.seconds(1))
                        .measurementIterations(1).measurementTime(TimeValue.seconds(2));
            } else {
                opts.warmupIterations(3).warmupTime(TimeValue.seconds(3))
                        .measurementIterations(5).measurementTime(TimeValue.seconds(3));
            }
            System.out.printf("running %d-thread trials (%s mode)...%n", threads, quick ? "quick" : "full");
            Collection<RunResult> results = new Runner(opts.build()).run();
            for (RunResult r : results) {
                String key = r.getParams().getParam("impl") + "-put" + r.getParams().getParam("putPercent") + "-t" + threads;
                score.put(key, r.getPrimaryResult().getScore());
                error.put(key, r.getPrimaryResult().getScoreError());
            }
        }

        System.out.println();
        System.out.printf("store (BucketedMap) vs ConcurrentHashMap<ByteArrayKey, byte[]>: 1,000,000 keys of 16 B, 100-B values; %s mode, started %s%n",
                quick ? "quick" : "full", started);
        System.out.printf("%-12s %7s %15s %15s %10s%n", "mix", "threads", "store ops/s", "chm ops/s", "store/chm");
        for (int put : new int[] {10, 50}) {
            for (int threads : new int[] {1, 2}) {
                double s = score.getOrDefault("store-put" + put + "-t" + threads, Double.NaN);
                double c = score.getOrDefault("chm-put" + put + "-t" + threads, Double.NaN);
                System.out.printf(Locale.ROOT, "%-12s %7d %15.0f %15.0f %9.2fx%n",
                        (100 - put) + "get/" + put + "put", threads, s, c, s / c);
            }
        }
        Properties store = read(out.resolve("store-put10-t1.properties"));
        Properties chm = read(out.resolve("chm-put10-t1.properties"));
        double storeBytes = Double.parseDouble(store.getProperty("mapBytesPerEntry", "NaN"));
        double storeHeap = Double.parseDouble(store.getProperty("heapBytesPerEntry", "NaN"));
        double chmBytes = Double.parseDouble(chm.getProperty("mapBytesPerEntry", "NaN"));
        System.out.printf(Locale.ROOT, "bytes/entry: store %.1f (arena used + index; heap growth incl. the whole reserved arena %.1f), chm %.1f (heap after GC); store/chm %.2fx%n",
                storeBytes, storeHeap, chmBytes, storeBytes / chmBytes);
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
        System.out.printf("GCs during the timed runs (after preload): store %d full / %d young, chm %d full / %d young (logs: %s/gc-*.log)%n",
                storeFull, storeYoung, chmFull, chmYoung, out);
        double worst = Math.min(score.getOrDefault("store-put10-t2", 0.0) / score.getOrDefault("chm-put10-t2", 1.0),
                score.getOrDefault("store-put50-t2", 0.0) / score.getOrDefault("chm-put50-t2", 1.0));
        System.out.printf(Locale.ROOT, "targets: throughput >= 0.80x at 2 threads: %s (worst %.2fx); bytes/entry <= 0.75x: %s (%.2fx); no full GC: %s%n",
                worst >= 0.8 ? "met" : "MISSED", worst, storeBytes / chmBytes <= 0.75 ? "met" : "MISSED",
                storeBytes / chmBytes, storeFull == 0 ? "met" : "MISSED");
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
