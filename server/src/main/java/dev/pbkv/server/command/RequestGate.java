package dev.pbkv.server.command;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Admits requests until it is closed, counts those in flight, and completes {@link #drained()}
 * once it is closed and the last admitted request has left. Lock-free: requests never wait here.
 */
final class RequestGate {
    private static final long CLOSED = 1L << 62;

    /** Low bits: requests in flight; bit 62: closed. Once closed, the count only goes down. */
    private final AtomicLong state = new AtomicLong();

    private final CompletableFuture<Void> drained = new CompletableFuture<>();

    /** Admits a request unless the gate is closed; an admitted request must call {@link #exit()} once. */
    boolean tryEnter() {
        while (true) {
            long s = state.get();
            if ((s & CLOSED) != 0) {
                return false;
            }
            if (state.compareAndSet(s, s + 1)) {
                return true;
            }
        }
    }

    void exit() {
        if (state.decrementAndGet() == CLOSED) {
            drained.complete(null);
        }
    }

    /** Stops admitting; {@link #drained()} completes when the requests in flight have left. */
    void close() {
        long s = state.getAndUpdate(v -> v | CLOSED);
        if ((s & CLOSED) == 0 && s == 0) {
            drained.complete(null);
        }
    }

    boolean isClosed() {
        return (state.get() & CLOSED) != 0;
    }

    long inFlight() {
        return state.get() & ~CLOSED;
    }

    CompletableFuture<Void> drained() {
        return drained;
    }
}
