package dev.pbkv.client.jobs;

import dev.pbkv.client.PbkvClient;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.Semaphore;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;

/**
 * {@code bin/pbkv jobs DIR}: runs every {@code DIR/*.job} file against the pair, {@code threads}
 * files at once, each file's lines in order on one thread (docs/jobs.md). Files start in name
 * order; with more than one thread, files that touch the same keys interleave as their threads
 * do.
 */
public final class JobRunner {

    /** The ending of the files that are run; the results go to the same name ending in .out. */
    public static final String SUFFIX = ".job";

    private final PbkvClient kv;
    private final Backups backups;
    private final int threads;
    /**
     * One permit per BACKUP step that may run now: a file acquires one just before its backup call
     * and releases it right after, so at most {@code maxBackups} backups run at once across all
     * files; the other BACKUP steps wait here, in arrival order (fair).
     */
    private final Semaphore backupPermits;

    private final JobFile.Pause pause;
    private final PrintStream err;

    /** A runner whose WAIT steps sleep. */
    public JobRunner(PbkvClient kv, Backups backups, int threads, int maxBackups, PrintStream err) {
        this(kv, backups, threads, maxBackups, Thread::sleep, err);
    }

    JobRunner(PbkvClient kv, Backups backups, int threads, int maxBackups, JobFile.Pause pause, PrintStream err) {
        if (threads < 1) {
            throw new IllegalArgumentException("--threads must be 1 or more, got " + threads);
        }
        if (maxBackups < 1) {
            throw new IllegalArgumentException("--max-backups must be 1 or more, got " + maxBackups);
        }
        this.kv = kv;
        this.backups = backups;
        this.threads = threads;
        this.backupPermits = new Semaphore(maxBackups, true);
        this.pause = pause;
        this.err = err;
    }

    /** The .job files of dir, by name. */
    public static List<Path> jobFiles(Path dir) throws IOException {
        try (Stream<Path> files = Files.list(dir)) {
            return files.filter(p -> p.getFileName().toString().endsWith(SUFFIX) && Files.isRegularFile(p))
                    .sorted()
                    .toList();
        }
    }

    /** Runs every .job file of dir; returns their reports in name order when all have finished. */
    public List<JobReport> run(Path dir) throws IOException, InterruptedException {
        List<Path> files = jobFiles(dir);
        if (files.isEmpty()) {
            return List.of();
        }
        ExecutorService pool = Executors.newFixedThreadPool(Math.min(threads, files.size()), namedThreads());
        try {
            List<Future<JobReport>> running = new ArrayList<>();
            for (Path file : files) {
                running.add(pool.submit(() -> new JobFile(file, kv, backups, backupPermits, pause, err).run()));
            }
            List<JobReport> reports = new ArrayList<>();
            for (Future<JobReport> f : running) {
                reports.add(f.get());
            }
            return reports;
        } catch (ExecutionException e) {
            // JobFile reports every failure it expects in its JobReport; this is a bug.
            throw new IllegalStateException("a job thread failed", e.getCause());
        } finally {
            pool.shutdownNow();
        }
    }

    /** BACKUP steps waiting for a permit now (an estimate, for tests that watch the bound). */
    int waitingBackups() {
        return backupPermits.getQueueLength();
    }

    private static ThreadFactory namedThreads() {
        AtomicInteger n = new AtomicInteger();
        return r -> {
            Thread t = new Thread(r, "pbkv-jobs-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        };
    }
}
