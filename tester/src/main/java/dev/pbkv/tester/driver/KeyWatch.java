package dev.pbkv.tester.driver;

import java.util.ArrayList;
import java.util.List;

/**
 * What one {@code watch} of a {@code .test} file has seen so far: the changes in the order the node
 * streamed them, and why the stream ended, if it did. Written by the driver's stream threads, read
 * by the case; every method holds this object's monitor.
 */
public final class KeyWatch implements AutoCloseable {
    /** One change: {@code set} (with its value), {@code delete} or {@code expired}. */
    public record Change(String type, String key, String value) {
        public String describe() {
            return value == null ? type + " " + key : type + " " + key + " " + value;
        }
    }

    private final List<Change> seen = new ArrayList<>();
    private boolean started;
    private String ended;
    private Runnable cancel = () -> {};

    /** The driver's way to stop the stream; called once by {@link #close}. */
    public synchronized void onClose(Runnable cancel) {
        this.cancel = cancel;
    }

    /** The node answered the watch: changes committed from here on are streamed. */
    public synchronized void started() {
        started = true;
    }

    public synchronized boolean isStarted() {
        return started;
    }

    public synchronized void add(Change c) {
        seen.add(c);
    }

    public synchronized void end(String why) {
        if (ended == null) {
            ended = why;
        }
    }

    public synchronized List<Change> seen() {
        return List.copyOf(seen);
    }

    /** Why the stream ended, or null while it runs. */
    public synchronized String ended() {
        return ended;
    }

    @Override
    public void close() {
        Runnable c;
        synchronized (this) {
            c = cancel;
            cancel = () -> {};
            end("closed by the tester");
        }
        c.run();
    }
}
