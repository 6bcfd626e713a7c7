package dev.pbkv.server.pair;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.google.protobuf.ByteString;
import dev.pbkv.client.PbkvClient;
import dev.pbkv.client.cli.PbkvCli;
import dev.pbkv.client.jobs.Backups;
import dev.pbkv.client.jobs.JobReport;
import dev.pbkv.client.jobs.JobRunner;
import dev.pbkv.testkit.NodeProcess;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code bin/pbkv jobs} against a pair of real processes: the .out files, threads, and the backup bound. */
class JobsPairIT {

    @TempDir
    static Path nodes;

    @TempDir
    Path dir;

    static NodeProcess.Pair pair;
    static PbkvClient client;

    @BeforeAll
    static void startPair() {
        // Two backups at once on the node, as the bound test runs two at once.
        pair = PairFailoverIT.pair(nodes).set("backup.max-concurrent", "2").start();
        PairFailoverIT.awaitSync(pair.primary(), pair.backup());
        client = PairFailoverIT.client(pair, Duration.ofSeconds(10));
    }

    @AfterAll
    static void stopPair() {
        if (client != null) {
            client.close();
        }
        if (pair != null) {
            pair.close();
        }
    }

    record Run(int code, String out, String err) {}

    private Run pbkv(String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        List<String> all = new java.util.ArrayList<>(List.of(
                "--server",
                pair.primary().grpcAddress(),
                "--server",
                pair.backup().grpcAddress(),
                "--timeout",
                "10s"));
        all.addAll(List.of(args));
        int code = PbkvCli.run(
                new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8),
                InputStream.nullInputStream(),
                Map.of(),
                all.toArray(new String[0]));
        return new Run(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    private void job(String name, String... lines) throws IOException {
        Files.writeString(dir.resolve(name), String.join("\n", lines) + "\n", StandardCharsets.UTF_8);
    }

    private String out(String name) throws IOException {
        return Files.readString(dir.resolve(name), StandardCharsets.UTF_8);
    }

    private static String lines(String... lines) {
        return String.join("\n", lines) + "\n";
    }

    @Test
    void filesRunConcurrentlyOnTwoThreadsAndTheirWritesReachTheBackup() throws Exception {
        job("a.job", "WRITE [(con/a1,x)(con/a2,y)]", "BACKUP", "READ [con/a1,con/a2]", "DELETE [con/a1]");
        job("b.job", "WRITE [(con/b1,p q)]", "BACKUP", "READ [con/b1,con/none]");
        job("c.job", "READ [con/c]", "WRITE [(con/c,3)]", "WAIT 1", "READ [con/c]", "DELETE [con/c,con/c]");
        // a's and b's backups each wait for the other: both finish only if the two files run at once.
        CyclicBarrier both = new CyclicBarrier(2);
        Backups meet = name -> {
            try {
                both.await(60, TimeUnit.SECONDS);
            } catch (Exception e) {
                throw new IllegalStateException("the other file's backup did not come: " + e);
            }
            return name + " met";
        };
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        List<JobReport> reports =
                new JobRunner(client, meet, 2, 2, new PrintStream(err, true, StandardCharsets.UTF_8)).run(dir);

        assertThat(out("a.out"))
                .isEqualTo(lines(
                        "WRITE con/a1 -> OK",
                        "WRITE con/a2 -> OK",
                        "BACKUP -> a-1 met",
                        "READ con/a1 -> x",
                        "READ con/a2 -> y",
                        "DELETE con/a1 -> deleted"));
        assertThat(out("b.out"))
                .isEqualTo(lines(
                        "WRITE con/b1 -> OK", "BACKUP -> b-1 met", "READ con/b1 -> p q", "READ con/none -> (missing)"));
        assertThat(out("c.out"))
                .isEqualTo(lines(
                        "READ con/c -> (missing)",
                        "WRITE con/c -> OK",
                        "WAIT 1 -> OK",
                        "READ con/c -> 3",
                        "DELETE con/c -> deleted",
                        "DELETE con/c -> (missing)"));
        assertThat(reports).extracting(JobReport::errors).containsExactly(0, 0, 0);
        assertThat(err.toString(StandardCharsets.UTF_8)).isEmpty();
        long acked = pair.primary().status().getLastOffset();
        await().atMost(PairFailoverIT.STATE_WAIT)
                .until(() -> pair.backup().status().getLastOffset() >= acked);
        assertThat(pair.backup().dump())
                .containsEntry(bs("con/a2"), bs("y"))
                .containsEntry(bs("con/b1"), bs("p q"))
                .doesNotContainKeys(bs("con/a1"), bs("con/c"));
    }

    @Test
    void theCliReportsAMalformedLineWithFileAndLineAndRunsTheRest() throws Exception {
        job(
                "show.job",
                "# the pair's keys under show/ are only this file's",
                "WRITE [(show/b,2)(show/a,1)]",
                "READ [show/a",
                "DELETE [show/b]",
                "SHOW",
                "WAIT soon",
                "READ [show/a]");
        Run run = pbkv("jobs", dir.toString(), "--threads", "2");

        assertThat(run.code()).isEqualTo(PbkvCli.NO);
        assertThat(run.out()).isEqualTo("show.job -> show.out (2 errors)\n");
        Path file = dir.resolve("show.job");
        assertThat(run.err())
                .isEqualTo(lines(
                        "pbkv: " + file + ":3: READ: missing ']' at the end of the line",
                        "pbkv: " + file + ":6: WAIT needs a whole number of milliseconds, 0 or more, got 'soon'"));
        String out = out("show.out");
        assertThat(out)
                .startsWith(lines(
                        "WRITE show/b -> OK",
                        "WRITE show/a -> OK",
                        "ERROR show.job:3: READ: missing ']' at the end of the line",
                        "DELETE show/b -> deleted"));
        assertThat(out).contains("\n  show/a=1\n").doesNotContain("show/b=");
        assertThat(out)
                .endsWith(lines(
                        "ERROR show.job:6: WAIT needs a whole number of milliseconds, 0 or more, got 'soon'",
                        "READ show/a -> 1"));
        // SHOW lists the whole pair in key order: the same as a scan.
        List<String> expected;
        try (var s = client.scan("", 0)) {
            expected = s.map(e -> "  " + e.keyString() + "=" + e.valueString()).toList();
        }
        List<String> shown = out.lines().filter(l -> l.startsWith("  ")).toList();
        assertThat(shown).isEqualTo(expected).isSorted();
    }

    @Test
    void atMostMaxBackupsRunAtOnceAcrossFiles() throws Exception {
        int files = 4;
        for (int i = 0; i < files; i++) {
            job("j" + i + ".job", "WRITE [(bound/" + i + ",v)]", "BACKUP", "READ [bound/" + i + "]");
        }
        AtomicInteger inFlight = new AtomicInteger();
        AtomicInteger most = new AtomicInteger();
        AtomicInteger finished = new AtomicInteger();
        Semaphore letOneFinish = new Semaphore(0);
        Backups counting = name -> {
            most.accumulateAndGet(inFlight.incrementAndGet(), Math::max);
            try {
                letOneFinish.acquire();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException(e);
            } finally {
                inFlight.decrementAndGet();
            }
            client.backup(name + ".pbkb"); // the real one, two at once on the node
            finished.incrementAndGet();
            return name;
        };
        JobRunner runner = new JobRunner(client, counting, files, 2, System.err);
        CompletableFuture<List<JobReport>> run = CompletableFuture.supplyAsync(() -> {
            try {
                return runner.run(dir);
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        });
        // Every file has reached its BACKUP once its write is on the pair; two are inside, two wait.
        await().atMost(Duration.ofSeconds(60))
                .until(() -> inFlight.get() == 2
                        && pair.primary().dump().keySet().stream()
                                        .filter(k -> k.startsWith(bs("bound/")))
                                        .count()
                                == files);
        for (int done = 0; done < files; done++) {
            int running = Math.min(2, files - done);
            await().atMost(Duration.ofSeconds(60)).until(() -> inFlight.get() == running);
            letOneFinish.release();
            int expected = done + 1;
            await().atMost(Duration.ofSeconds(60)).until(() -> finished.get() == expected);
        }
        List<JobReport> reports = run.get(60, TimeUnit.SECONDS);

        assertThat(most.get()).as("backups running at once").isEqualTo(2);
        assertThat(reports).extracting(JobReport::errors).containsOnly(0);
        for (int i = 0; i < files; i++) {
            assertThat(out("j" + i + ".out"))
                    .isEqualTo(lines(
                            "WRITE bound/" + i + " -> OK", "BACKUP -> j" + i + "-1", "READ bound/" + i + " -> v"));
        }
    }

    private static ByteString bs(String s) {
        return ByteString.copyFromUtf8(s);
    }

    @Test
    void backupStepsWriteBackupsOnThePrimary() throws Exception {
        job("bk.job", "WRITE [(bk/a,1)(bk/b,2)]", "BACKUP", "DELETE [bk/a]", "BACKUP");
        Run run = pbkv("jobs", dir.toString());

        assertThat(run).isEqualTo(new Run(0, "bk.job -> bk.out (0 errors)\n", ""));
        List<String> out = out("bk.out").lines().toList();
        assertThat(out).hasSize(5);
        assertThat(out.get(0)).isEqualTo("WRITE bk/a -> OK");
        assertThat(out.get(1)).isEqualTo("WRITE bk/b -> OK");
        assertThat(out.get(3)).isEqualTo("DELETE bk/a -> deleted");
        Path backups = pair.primary().dataDir().resolve("backups");
        java.util.regex.Pattern line = java.util.regex.Pattern.compile(
                "BACKUP -> (.*/bk-(\\d)-\\d{8}-\\d{9}\\.pbkb)" + " at offset (\\d+), (\\d+) keys, (\\d+) bytes");
        long previousOffset = 0;
        for (int i : new int[] {2, 4}) {
            java.util.regex.Matcher m = line.matcher(out.get(i));
            assertThat(m.matches()).as(out.get(i)).isTrue();
            Path file = Path.of(m.group(1));
            assertThat(m.group(2)).isEqualTo(i == 2 ? "1" : "2");
            assertThat(file.getParent()).isEqualTo(backups.toAbsolutePath());
            assertThat(Files.size(file)).isEqualTo(Long.parseLong(m.group(5)));
            long offset = Long.parseLong(m.group(3));
            assertThat(offset).isGreaterThan(previousOffset);
            previousOffset = offset;
        }
    }

    @Test
    void aBackupRefusedByTheNodeIsAnErrorLine() throws Exception {
        job("dup.job", "BACKUP");
        client.backup("dup-1.pbkb"); // the name the runner below asks for is taken
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        Backups named = name -> client.backup(name + ".pbkb").path();
        List<JobReport> reports =
                new JobRunner(client, named, 1, 1, new PrintStream(err, true, StandardCharsets.UTF_8)).run(dir);

        assertThat(reports.get(0).errors()).isEqualTo(1);
        assertThat(out("dup.out")).startsWith("ERROR dup.job:1: BACKUP: ").contains("ALREADY_EXISTS");
        assertThat(err.toString(StandardCharsets.UTF_8)).startsWith("pbkv: " + dir.resolve("dup.job") + ":1: BACKUP: ");
    }
}
