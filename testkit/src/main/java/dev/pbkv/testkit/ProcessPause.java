package dev.pbkv.testkit;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.awaitility.Awaitility;
import org.awaitility.core.ConditionTimeoutException;

/**
 * SIGSTOP and SIGCONT for a test's process, by PID. {@code kill -STOP} returns before the process
 * has stopped: the kernel hands the signal to one of its threads, and only when that thread next
 * runs does it stop the others. On a busy machine the other threads go on for milliseconds, so a
 * request sent right after {@code kill -STOP} returned was answered (175 of 300 PINGs to a node,
 * with three spinning threads on two cores). {@link #pause} therefore returns only once every
 * thread of the process is in the stopped state of {@code /proc/PID/task/TID/stat}. The shell
 * commands of the tester do the same with bin/lib/pause-pid.sh. SIGCONT needs no wait: the kernel
 * wakes every stopped thread while it sends it.
 */
public final class ProcessPause {
    public static final Duration STOP_TIMEOUT = Duration.ofSeconds(10);

    private ProcessPause() {}

    /** SIGSTOP, then waits until every thread has stopped; fails if the process has not within {@link #STOP_TIMEOUT}. */
    public static void pause(long pid) {
        signal(pid, "STOP");
        try {
            Awaitility.await("pid " + pid + " stopped in every thread")
                    .pollDelay(Duration.ZERO)
                    .pollInterval(Duration.ofMillis(2))
                    .atMost(STOP_TIMEOUT)
                    .until(() -> isStopped(pid));
        } catch (ConditionTimeoutException e) {
            throw new IllegalStateException(
                    "pid " + pid + " did not stop within " + STOP_TIMEOUT.toSeconds()
                            + " s of SIGSTOP (a thread still runs: " + running(pid) + ")",
                    e);
        }
    }

    /** SIGCONT. */
    public static void resume(long pid) {
        signal(pid, "CONT");
    }

    /** Whether no thread of the process runs: each is stopped (T, t) or exiting (Z, X). */
    public static boolean isStopped(long pid) {
        return running(pid).isEmpty();
    }

    /** The threads of the process that are not stopped, as "TID:STATE"; empty once all are. */
    private static List<String> running(long pid) {
        Path tasks = Path.of("/proc", Long.toString(pid), "task");
        try (Stream<Path> all = Files.list(tasks)) {
            return all.map(t -> t.getFileName() + ":" + state(t.resolve("stat")))
                    .filter(s -> !s.endsWith(":T") && !s.endsWith(":t") && !s.endsWith(":Z") && !s.endsWith(":X"))
                    .toList();
        } catch (NoSuchFileException e) {
            throw new IllegalStateException("pid " + pid + " is not running", e);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The state letter of a stat line: "TID (comm) S ...", where comm may hold spaces and parentheses. */
    private static String state(Path stat) {
        try {
            String line = Files.readString(stat);
            return line.substring(line.lastIndexOf(')') + 2, line.lastIndexOf(')') + 3);
        } catch (NoSuchFileException e) {
            return "X"; // the thread ended since the listing
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static void signal(long pid, String sig) {
        try {
            Process p = new ProcessBuilder("kill", "-" + sig, Long.toString(pid))
                    .redirectErrorStream(true)
                    .start();
            if (!p.waitFor(10, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new IllegalStateException("kill -" + sig + " " + pid + " did not return within 10 s");
            }
            if (p.exitValue() != 0) {
                String out = new String(p.getInputStream().readAllBytes()).trim();
                throw new IllegalStateException("kill -" + sig + " " + pid + " failed: " + out);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("could not run kill -" + sig + " " + pid, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted sending SIG" + sig + " to " + pid, e);
        }
    }
}
