package dev.pbkv.client.jobs;

import dev.pbkv.client.KvEntry;
import dev.pbkv.client.PbkvClient;
import dev.pbkv.client.PbkvUnavailableException;
import dev.pbkv.client.WriteStatus;
import dev.pbkv.client.jobs.JobStep.KeyValue;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Semaphore;
import java.util.stream.Stream;

/**
 * Runs the steps of one {@code .job} file in order against the pair and writes one result line per
 * operation to {@code <name>.out} beside it (the format is in docs/jobs.md). A malformed line or a
 * failed operation is an {@code ERROR file:line: ...} line there and a {@code pbkv: path:line: ...}
 * line on stderr; the next lines still run. One thread runs one file; many files share the client
 * and the backup semaphore.
 */
final class JobFile {

    /** How a WAIT step pauses; tests pass one that does not sleep. */
    @FunctionalInterface
    interface Pause {
        void pause(long millis) throws InterruptedException;
    }

    private final Path job;
    private final Path out;
    private final String name;
    private final String stem;
    private final PbkvClient kv;
    private final Backups backups;
    private final Semaphore backupPermits;
    private final Pause pause;
    private final PrintStream err;

    private BufferedWriter writer;
    private int errors;
    private int backupsRun;

    JobFile(Path job, PbkvClient kv, Backups backups, Semaphore backupPermits, Pause pause, PrintStream err) {
        this.job = job;
        this.name = job.getFileName().toString();
        this.stem = name.substring(0, name.length() - JobRunner.SUFFIX.length());
        this.out = job.resolveSibling(stem + ".out");
        this.kv = kv;
        this.backups = backups;
        this.backupPermits = backupPermits;
        this.pause = pause;
        this.err = err;
    }

    JobReport run() {
        List<JobStep> steps;
        try {
            steps = JobParser.parse(Files.readAllLines(job, StandardCharsets.UTF_8));
        } catch (IOException e) {
            return failed("cannot read " + job + ": " + e);
        }
        try (BufferedWriter w = Files.newBufferedWriter(out, StandardCharsets.UTF_8)) {
            writer = w;
            for (JobStep step : steps) {
                if (!run(step)) {
                    break; // interrupted
                }
                w.flush();
            }
        } catch (IOException e) {
            return failed("cannot write " + out + ": " + e);
        }
        return new JobReport(job, out, errors, null);
    }

    private JobReport failed(String why) {
        err.println("pbkv: " + why);
        return new JobReport(job, out, errors, why);
    }

    /** Runs one step and writes its lines; false when the thread was interrupted (stop this file). */
    private boolean run(JobStep step) throws IOException {
        if (step instanceof JobStep.Malformed m) {
            error(m.line(), m.problem());
        } else if (step instanceof JobStep.Write w) {
            for (KeyValue p : w.pairs()) {
                attempt(w.line(), "WRITE " + p.key(), () -> {
                    kv.put(p.key(), p.value());
                    return "OK";
                });
            }
        } else if (step instanceof JobStep.Read r) {
            for (String key : r.keys()) {
                attempt(r.line(), "READ " + key, () -> kv.get(key).orElse("(missing)"));
            }
        } else if (step instanceof JobStep.Delete d) {
            for (String key : d.keys()) {
                attempt(
                        d.line(),
                        "DELETE " + key,
                        () -> kv.delete(key).status() == WriteStatus.NOT_FOUND ? "(missing)" : "deleted");
            }
        } else if (step instanceof JobStep.Show s) {
            show(s.line());
        } else if (step instanceof JobStep.Wait w) {
            try {
                pause.pause(w.millis());
            } catch (InterruptedException e) {
                return interrupted(w.line());
            }
            line("WAIT " + w.millis() + " -> OK");
        } else if (step instanceof JobStep.Backup b) {
            String backupName = stem + "-" + ++backupsRun;
            // One of JobRunner's permits, held across this one backup call only, whatever its outcome.
            try {
                backupPermits.acquire();
            } catch (InterruptedException e) {
                return interrupted(b.line());
            }
            try {
                attempt(b.line(), "BACKUP", () -> backups.backup(backupName));
            } finally {
                backupPermits.release();
            }
        } else {
            throw new IllegalStateException("unknown step " + step);
        }
        return true;
    }

    private void show(int lineNumber) throws IOException {
        StringBuilder listing = new StringBuilder();
        long count = 0;
        try (Stream<KvEntry> entries = kv.scan(new byte[0], 0)) {
            for (KvEntry e : (Iterable<KvEntry>) entries::iterator) {
                listing.append("  ")
                        .append(e.keyString())
                        .append('=')
                        .append(e.valueString())
                        .append('\n');
                count++;
            }
        } catch (RuntimeException e) {
            error(lineNumber, "SHOW: " + message(e));
            return;
        }
        line("SHOW -> " + count + (count == 1 ? " key" : " keys"));
        writer.write(listing.toString());
    }

    /** One operation: its result line, or its error line. */
    private void attempt(int lineNumber, String what, Operation op) throws IOException {
        String result;
        try {
            result = op.call();
        } catch (RuntimeException e) {
            // The pair's no (PbkvException), no backup call (Backups.Unavailable), or a client-side
            // refusal: this operation failed, the next ones still run.
            error(lineNumber, what + ": " + message(e));
            return;
        }
        line(what + " -> " + result);
    }

    @FunctionalInterface
    private interface Operation {
        String call();
    }

    private boolean interrupted(int lineNumber) throws IOException {
        Thread.currentThread().interrupt();
        error(lineNumber, "interrupted; the rest of the file did not run");
        return false;
    }

    private void error(int lineNumber, String what) throws IOException {
        errors++;
        line("ERROR " + name + ":" + lineNumber + ": " + what);
        err.println("pbkv: " + job + ":" + lineNumber + ": " + what);
    }

    private void line(String text) throws IOException {
        writer.write(text);
        writer.write('\n');
    }

    private static String message(RuntimeException e) {
        if (e instanceof PbkvUnavailableException) {
            return "unavailable: " + e.getMessage();
        }
        return e.getMessage() != null ? e.getMessage() : e.toString();
    }
}
