package dev.pbkv.tester.robustness;

import java.io.PrintStream;

/** The run's progress lines, each stamped with the seconds since the run started. */
final class RunLog {
    private final PrintStream out;
    private final long t0 = System.nanoTime();

    RunLog(PrintStream out) {
        this.out = out;
    }

    long startNanos() {
        return t0;
    }

    double seconds(long nanos) {
        return (nanos - t0) / 1e9;
    }

    void line(String format, Object... args) {
        synchronized (out) {
            out.printf("[%7.2f s] %s%n", seconds(System.nanoTime()), String.format(format, args));
            out.flush();
        }
    }
}
