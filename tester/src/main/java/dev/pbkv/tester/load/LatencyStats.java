package dev.pbkv.tester.load;

import dev.pbkv.client.PbkvException;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.Recorder;

/**
 * Latencies (microseconds, HdrHistogram) of successful reads and writes, and the failures by
 * status code. Workers record from any thread; one reporter drains the recorders each second.
 */
final class LatencyStats {

    /** Latencies above one minute are recorded as one minute. */
    static final long MAX_MICROS = 60_000_000L;

    private final Recorder reads = new Recorder(MAX_MICROS, 3);
    private final Recorder writes = new Recorder(MAX_MICROS, 3);
    private final LongAdder readMisses = new LongAdder();
    // Failures by gRPC status code (or exception class); counted in every phase, reset with totals.
    private final Map<String, LongAdder> errors = new ConcurrentHashMap<>();

    // Guarded by 'this': the sums of the drained intervals since the last reset.
    private final Histogram totalReads = new Histogram(MAX_MICROS, 3);
    private final Histogram totalWrites = new Histogram(MAX_MICROS, 3);
    private Histogram intervalReads;
    private Histogram intervalWrites;

    void recordRead(long startNanos, boolean found) {
        reads.recordValue(micros(startNanos));
        if (!found) {
            readMisses.increment();
        }
    }

    void recordWrite(long startNanos) {
        writes.recordValue(micros(startNanos));
    }

    void recordError(Throwable t) {
        Throwable cause = t instanceof CompletionException && t.getCause() != null ? t.getCause() : t;
        String code = cause instanceof PbkvException pe
                ? pe.code().name()
                : cause.getClass().getSimpleName();
        errors.computeIfAbsent(code, k -> new LongAdder()).increment();
    }

    private static long micros(long startNanos) {
        long us = (System.nanoTime() - startNanos) / 1000;
        return Math.max(0, Math.min(us, MAX_MICROS));
    }

    /** Moves what was recorded since the last drain into the totals; returns that interval. */
    synchronized Interval drain() {
        intervalReads = reads.getIntervalHistogram(intervalReads);
        intervalWrites = writes.getIntervalHistogram(intervalWrites);
        totalReads.add(intervalReads);
        totalWrites.add(intervalWrites);
        Histogram both = intervalReads.copy();
        both.add(intervalWrites);
        return new Interval(both, errorCount());
    }

    /** Forgets everything recorded so far (the end of the warm-up). */
    synchronized void reset() {
        drain();
        totalReads.reset();
        totalWrites.reset();
        readMisses.reset();
        errors.clear();
    }

    synchronized Histogram totalReads() {
        return totalReads.copy();
    }

    synchronized Histogram totalWrites() {
        return totalWrites.copy();
    }

    synchronized Histogram totalAll() {
        Histogram all = totalReads.copy();
        all.add(totalWrites);
        return all;
    }

    long readMisses() {
        return readMisses.sum();
    }

    long errorCount() {
        return errors.values().stream().mapToLong(LongAdder::sum).sum();
    }

    Map<String, Long> errorsByCode() {
        Map<String, Long> out = new TreeMap<>();
        errors.forEach((k, v) -> out.put(k, v.sum()));
        return out;
    }

    /** One second's worth: latencies of the successful operations, and the errors so far. */
    record Interval(Histogram latencies, long errorsSoFar) {}
}
