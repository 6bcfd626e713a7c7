package dev.pbkv.bench;

import dev.pbkv.store.map.BucketedMap;
import dev.pbkv.store.map.MapConfig;
import dev.pbkv.store.map.MemoryStats;
import java.io.IOException;
import java.lang.management.GarbageCollectorMXBean;
import java.lang.management.ManagementFactory;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.SplittableRandom;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.infra.BenchmarkParams;
import org.openjdk.jmh.infra.IterationParams;
import org.openjdk.jmh.runner.IterationType;

/**
 * The store's map against ConcurrentHashMap&lt;ByteArrayKey, byte[]&gt; on one workload: a preloaded
 * set of 16-byte keys with 100-byte values, then random gets and puts of those keys. Each put
 * hands the map a fresh value array, as a request would; the store copies it into its arena, the
 * CHM keeps it. Each get returns the value: a copy from the store, the stored array from the CHM.
 *
 * <p>Setup measures the memory per entry (store: arena used + index; CHM: heap used after GC,
 * before minus after the preload, keys and values owned by the map) and counts full GCs between
 * the end of setup and the end of the trial. Both go to a file in {@code pbkv.bench.out} that
 * {@link StoreBenchmarkMain} reads.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
public class StoreVsChmBenchmark {
    static final int KEY_BYTES = 16;
    static final int VALUE_BYTES = 100;

    @Param({"store", "chm"})
    public String impl;

    /** Percentage of operations that are puts; the rest are gets. */
    @Param({"10", "50"})
    public int putPercent;

    @Param({"1000000"})
    public int keys;

    private boolean useStore;
    private byte[][] keyBytes;
    private BucketedMap store;
    private ConcurrentHashMap<ByteArrayKey, byte[]> chm;
    private long fullGcAtStart;
    private long youngGcAtStart;
    private double heapBytesPerEntry;
    private double mapBytesPerEntry;
    private long iterationCpuStart;
    private long iterationWallStart;
    private long measuredCpuNanos;
    private long measuredWallNanos;

    @Setup(Level.Trial)
    public void setup() {
        useStore = impl.equals("store");
        keyBytes = new byte[keys][];
        SplittableRandom rnd = new SplittableRandom(42);
        for (int i = 0; i < keys; i++) {
            // Distinct by construction: the index in the first four bytes, random bytes after.
            keyBytes[i] = ByteBuffer.allocate(KEY_BYTES)
                    .putInt(i)
                    .putInt(rnd.nextInt())
                    .putLong(rnd.nextLong())
                    .array();
        }
        long before = heapUsedAfterGc();
        if (useStore) {
            store = new BucketedMap(new MapConfig(MapConfig.DEFAULT_BUCKETS, MapConfig.DEFAULT_MEMORY_BYTES));
            for (int i = 0; i < keys; i++) {
                store.put(keyBytes[i], value(i), i + 1);
            }
        } else {
            chm = new ConcurrentHashMap<>();
            for (int i = 0; i < keys; i++) {
                chm.put(new ByteArrayKey(keyBytes[i].clone()), value(i));
            }
        }
        long after = heapUsedAfterGc();
        heapBytesPerEntry = (after - before) / (double) keys;
        if (useStore) {
            MemoryStats s = store.memoryStats();
            if (s.entries() != keys) {
                throw new IllegalStateException("preload stored " + s.entries() + " of " + keys);
            }
            mapBytesPerEntry = (s.usedBytes() + s.indexBytes()) / (double) keys;
        } else {
            mapBytesPerEntry = heapBytesPerEntry;
        }
        fullGcAtStart = gcCount(true);
        youngGcAtStart = gcCount(false);
    }

    /**
     * Process CPU time (all threads: benchmark, GC, JIT) over the measurement iterations, so the
     * report can give operations per CPU-second, which a loaded machine disturbs far less than
     * operations per wall-clock second.
     */
    @Setup(Level.Iteration)
    public void iterationStart() {
        iterationCpuStart = processCpuNanos();
        iterationWallStart = System.nanoTime();
    }

    @TearDown(Level.Iteration)
    public void iterationEnd(IterationParams iteration) {
        if (iteration.getType() == IterationType.MEASUREMENT) {
            measuredCpuNanos += processCpuNanos() - iterationCpuStart;
            measuredWallNanos += System.nanoTime() - iterationWallStart;
        }
    }

    private static long processCpuNanos() {
        return ((com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean())
                .getProcessCpuTime();
    }

    @TearDown(Level.Trial)
    public void report(BenchmarkParams params) throws IOException {
        String out = System.getProperty("pbkv.bench.out");
        if (out == null) {
            return;
        }
        String name = impl + "-put" + putPercent + "-t" + params.getThreads() + "-r"
                + System.getProperty("pbkv.bench.round", "1");
        String body = "impl=" + impl + "\nputPercent=" + putPercent + "\nthreads=" + params.getThreads()
                + "\nmapBytesPerEntry=" + mapBytesPerEntry + "\nheapBytesPerEntry=" + heapBytesPerEntry
                + "\ncpuPerWall=" + (measuredCpuNanos / (double) measuredWallNanos)
                + "\nfullGc=" + (gcCount(true) - fullGcAtStart) + "\nyoungGc=" + (gcCount(false) - youngGcAtStart)
                + "\n";
        Files.createDirectories(Path.of(out));
        Files.writeString(Path.of(out, name + ".properties"), body);
        if (store != null) {
            store.close();
        }
    }

    @State(Scope.Thread)
    public static class Worker {
        final SplittableRandom rnd = new SplittableRandom();
        long writes;
    }

    @Benchmark
    public Object op(Worker w) {
        byte[] key = keyBytes[w.rnd.nextInt(keys)];
        if (w.rnd.nextInt(100) < putPercent) {
            byte[] value = new byte[VALUE_BYTES];
            value[0] = (byte) ++w.writes;
            return useStore ? store.put(key, value, w.writes) : chm.put(new ByteArrayKey(key), value);
        }
        return useStore ? store.get(key) : chm.get(new ByteArrayKey(key));
    }

    private static byte[] value(int i) {
        byte[] v = new byte[VALUE_BYTES];
        v[0] = (byte) i;
        v[VALUE_BYTES - 1] = (byte) (i >>> 8);
        return v;
    }

    static long heapUsedAfterGc() {
        for (int i = 0; i < 3; i++) {
            System.gc();
        }
        return ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
    }

    /** Collections so far by the full (old) collectors, or by the young ones. */
    static long gcCount(boolean full) {
        long n = 0;
        for (GarbageCollectorMXBean gc : ManagementFactory.getGarbageCollectorMXBeans()) {
            String name = gc.getName();
            boolean isFull = name.contains("Old") || name.contains("MarkSweep");
            if (isFull == full && !name.contains("Concurrent")) {
                n += gc.getCollectionCount();
            }
        }
        return n;
    }
}
