package dev.pbkv.client.jobs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.pbkv.client.FakeNode;
import dev.pbkv.client.PbkvClient;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** JobRunner against a fake node on a real socket: the .out lines, threads, and the backup bound. */
class JobRunnerTest {

    @TempDir
    Path dir;

    private FakeNode node;
    private PbkvClient kv;
    private final ByteArrayOutputStream errBytes = new ByteArrayOutputStream();
    private final PrintStream err = new PrintStream(errBytes, true, StandardCharsets.UTF_8);
    private final List<Long> pauses = new CopyOnWriteArrayList<>();

    @BeforeEach
    void start() throws IOException {
        node = new FakeNode("primary", true);
        kv = PbkvClient.builder()
                .endpoint(node.endpoint())
                .retryDeadline(Duration.ofSeconds(10))
                .build();
    }

    @AfterEach
    void stop() {
        kv.close();
        node.close();
    }

    private void job(String name, String... lines) throws IOException {
        Files.writeString(dir.resolve(name), String.join("\n", lines) + "\n", StandardCharsets.UTF_8);
    }

    private String out(String name) throws IOException {
        return Files.readString(dir.resolve(name), StandardCharsets.UTF_8);
    }

    private JobRunner runner(Backups backups, int threads, int maxBackups) {
        return new JobRunner(kv, backups, threads, maxBackups, pauses::add, err);
    }

    private static String lines(String... lines) {
        return String.join("\n", lines) + "\n";
    }

    @Test
    void everyOperationWritesItsResultLineInOrder() throws Exception {
        node.put("zeta", "last");
        job(
                "all.job",
                "# every command once",
                "WRITE [(a,1)(b, two words)]",
                "READ [a,missing,b]",
                "DELETE [a,missing]",
                "",
                "SHOW",
                "WAIT 250",
                "BACKUP",
                "BACKUP");
        List<String> names = new CopyOnWriteArrayList<>();
        List<JobReport> reports = runner(
                        name -> {
                            names.add(name);
                            return "/backups/" + name + " at offset 7";
                        },
                        1,
                        1)
                .run(dir);

        assertThat(out("all.out"))
                .isEqualTo(lines(
                        "WRITE a -> OK",
                        "WRITE b -> OK",
                        "READ a -> 1",
                        "READ missing -> (missing)",
                        "READ b -> two words",
                        "DELETE a -> deleted",
                        "DELETE missing -> (missing)",
                        "SHOW -> 2 keys",
                        "  b=two words",
                        "  zeta=last",
                        "WAIT 250 -> OK",
                        "BACKUP -> /backups/all-1 at offset 7",
                        "BACKUP -> /backups/all-2 at offset 7"));
        assertThat(names).containsExactly("all-1", "all-2");
        assertThat(pauses).containsExactly(250L);
        assertThat(reports).containsExactly(new JobReport(dir.resolve("all.job"), dir.resolve("all.out"), 0, null));
        assertThat(errBytes.toString(StandardCharsets.UTF_8)).isEmpty();
    }

    @Test
    void aMalformedLineIsReportedWithFileAndLineWhileTheOtherLinesRun() throws Exception {
        job("bad.job", "WRITE [(k,v)]", "READ [k", "# fine", "FROB", "READ [k]");
        List<JobReport> reports = runner(Backups.unavailable(), 1, 1).run(dir);

        assertThat(out("bad.out"))
                .isEqualTo(lines(
                        "WRITE k -> OK",
                        "ERROR bad.job:2: READ: missing ']' at the end of the line",
                        "ERROR bad.job:4: unknown command 'FROB' (WRITE, READ, DELETE, SHOW, WAIT, BACKUP)",
                        "READ k -> v"));
        assertThat(errBytes.toString(StandardCharsets.UTF_8))
                .isEqualTo(lines(
                        "pbkv: " + dir.resolve("bad.job") + ":2: READ: missing ']' at the end of the line",
                        "pbkv: " + dir.resolve("bad.job")
                                + ":4: unknown command 'FROB' (WRITE, READ, DELETE, SHOW, WAIT, BACKUP)"));
        assertThat(reports.get(0).errors()).isEqualTo(2);
        assertThat(reports.get(0).summary()).isEqualTo("bad.job -> bad.out (2 errors)");
    }

    @Test
    void withoutABackupCallEveryBackupStepIsAnErrorLine() throws Exception {
        job("b.job", "BACKUP", "WRITE [(x,1)]");
        List<JobReport> reports = runner(Backups.unavailable(), 1, 1).run(dir);

        assertThat(out("b.out"))
                .isEqualTo(lines("ERROR b.job:1: BACKUP: backups are not available on this pair", "WRITE x -> OK"));
        assertThat(reports.get(0).errors()).isEqualTo(1);
    }

    @Test
    void aFailedOperationIsAnErrorLineAndTheNextLinesStillRun() throws Exception {
        job("f.job", "READ [a]", "WRITE [(a,1)]", "READ [a]");
        node.refuseNext.set(1_000_000); // every attempt of the first read is refused until its deadline
        try (PbkvClient impatient = PbkvClient.builder()
                .endpoint(node.endpoint())
                .retryDeadline(Duration.ofMillis(300))
                .build()) {
            CompletableFuture<List<JobReport>> run = CompletableFuture.supplyAsync(() -> {
                try {
                    return new JobRunner(impatient, Backups.unavailable(), 1, 1, pauses::add, err).run(dir);
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            });
            await().atMost(Duration.ofSeconds(30))
                    .until(() -> errBytes.toString(StandardCharsets.UTF_8).contains("f.job:1: READ a: unavailable"));
            node.refuseNext.set(0);
            assertThat(run.get(30, TimeUnit.SECONDS).get(0).errors()).isEqualTo(1);
        }
        String out = out("f.out");
        assertThat(out).startsWith("ERROR f.job:1: READ a: unavailable: ");
        assertThat(out).endsWith("\nWRITE a -> OK\nREAD a -> 1\n");
        assertThat(out.lines()).hasSize(3);
    }

    @Test
    void filesRunConcurrentlyOnTwoThreadsEachInItsOwnOrder() throws Exception {
        job("a.job", "WRITE [(a1,x)(a2,y)]", "BACKUP", "READ [a1,a2]", "DELETE [a1]");
        job("b.job", "WRITE [(b1,p)]", "BACKUP", "READ [b1,a-none]");
        job("c.job", "READ [c]", "WRITE [(c,3)]", "READ [c]");
        job("notes.txt", "FROB: not a job file, not run");
        // a's and b's backups each wait for the other: they finish only if both files run at once.
        CyclicBarrier both = new CyclicBarrier(2);
        Backups meetInTheMiddle = name -> {
            try {
                both.await(30, TimeUnit.SECONDS);
            } catch (Exception e) {
                throw new IllegalStateException("the other file's backup did not come: " + e);
            }
            return name + " done";
        };
        List<JobReport> reports = runner(meetInTheMiddle, 2, 2).run(dir);

        assertThat(out("a.out"))
                .isEqualTo(lines(
                        "WRITE a1 -> OK",
                        "WRITE a2 -> OK",
                        "BACKUP -> a-1 done",
                        "READ a1 -> x",
                        "READ a2 -> y",
                        "DELETE a1 -> deleted"));
        assertThat(out("b.out"))
                .isEqualTo(lines("WRITE b1 -> OK", "BACKUP -> b-1 done", "READ b1 -> p", "READ a-none -> (missing)"));
        assertThat(out("c.out")).isEqualTo(lines("READ c -> (missing)", "WRITE c -> OK", "READ c -> 3"));
        assertThat(reports)
                .extracting(JobReport::summary)
                .containsExactly("a.job -> a.out (0 errors)", "b.job -> b.out (0 errors)", "c.job -> c.out (0 errors)");
        assertThat(Files.exists(dir.resolve("notes.out"))).isFalse();
    }

    @Test
    void atMostMaxBackupsRunAtOnceAndTheOthersWait() throws Exception {
        int files = 5;
        for (int i = 0; i < files; i++) {
            job("j" + i + ".job", "WRITE [(k" + i + ",v)]", "BACKUP", "READ [k" + i + "]");
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
            finished.incrementAndGet();
            return name;
        };
        JobRunner runner = runner(counting, files, 2);
        CompletableFuture<List<JobReport>> run = CompletableFuture.supplyAsync(() -> {
            try {
                return runner.run(dir);
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        });

        for (int done = 0; done < files; done++) {
            int waiting = Math.max(0, files - done - 2);
            int running = Math.min(2, files - done);
            await().atMost(Duration.ofSeconds(30))
                    .until(() -> inFlight.get() == running && runner.waitingBackups() == waiting);
            assertThat(most.get()).isEqualTo(2);
            letOneFinish.release();
            int expected = done + 1;
            await().atMost(Duration.ofSeconds(30)).until(() -> finished.get() == expected);
        }
        List<JobReport> reports = run.get(30, TimeUnit.SECONDS);

        assertThat(most.get()).isEqualTo(2);
        assertThat(reports).extracting(JobReport::errors).containsOnly(0);
        for (int i = 0; i < files; i++) {
            assertThat(out("j" + i + ".out"))
                    .isEqualTo(lines("WRITE k" + i + " -> OK", "BACKUP -> j" + i + "-1", "READ k" + i + " -> v"));
        }
    }

    @Test
    void aDirectoryWithoutJobFilesRunsNothing() throws Exception {
        job("readme.txt", "nothing here");
        assertThat(runner(Backups.unavailable(), 2, 1).run(dir)).isEmpty();
    }

    @Test
    void aFileThatCannotBeReadIsAFailureAndTheOthersStillRun() throws Exception {
        Files.write(dir.resolve("binary.job"), new byte[] {(byte) 0xff, (byte) 0xfe, '\n'});
        job("fine.job", "WRITE [(f,1)]");
        List<JobReport> reports = runner(Backups.unavailable(), 2, 1).run(dir);

        assertThat(reports.get(0).failure()).startsWith("cannot read " + dir.resolve("binary.job"));
        assertThat(reports.get(0).summary()).startsWith("binary.job: cannot read ");
        assertThat(Files.exists(dir.resolve("binary.out"))).isFalse();
        assertThat(reports.get(1)).isEqualTo(new JobReport(dir.resolve("fine.job"), dir.resolve("fine.out"), 0, null));
        assertThat(out("fine.out")).isEqualTo("WRITE f -> OK\n");
        assertThat(errBytes.toString(StandardCharsets.UTF_8))
                .startsWith("pbkv: cannot read " + dir.resolve("binary.job"));
    }
}
