package dev.pbkv.tester.engine;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;

/** Threads that keep the CPU busy until closed (the {@code busy} statement). */
final class BusyThreads implements AutoCloseable {
    private final AtomicBoolean spinning = new AtomicBoolean(true);
    private final List<Thread> threads = new ArrayList<>();
    /** Written by the spinners so the JIT cannot drop their loop. */
    private volatile long sink;

    private BusyThreads() {}

    static BusyThreads start(int n) {
        BusyThreads b = new BusyThreads();
        for (int i = 0; i < n; i++) {
            Thread t = new Thread(b::spin, "tester-busy-" + i);
            t.setDaemon(true);
            b.threads.add(t);
            t.start();
        }
        return b;
    }

    private void spin() {
        long x = 0;
        while (spinning.get()) {
            x = x * 6364136223846793005L + 1442695040888963407L;
            sink = x;
        }
    }

    @Override
    public void close() {
        spinning.set(false);
        for (Thread t : threads) {
            try {
                t.join(5_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }
}
