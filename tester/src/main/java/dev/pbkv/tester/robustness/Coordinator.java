package dev.pbkv.tester.robustness;

/**
 * The coordinator a robustness run starts, restarts and kills: the embedded ZooKeeper process
 * ({@code dev.pbkv.testkit.CoordinatorProcess}) once it is on this branch, or {@link #NONE} for a
 * pair with {@code coordinator.connect = off}. Nodes reach it through a {@code TcpProxy} each, so
 * that one node can be cut from it alone.
 */
public interface Coordinator extends AutoCloseable {
    /** Whether there is a coordinator at all (scenarios that need one are refused without it). */
    boolean available();

    /** host:port of the running coordinator (the proxies' target). */
    String address();

    /** Starts it; returns once it answers. */
    void start();

    /** Stops it gracefully, keeping its data. */
    void stop();

    /** kill -9, keeping its data. */
    void kill9();

    /** Starts it again on the same port and data (after a stop or a kill). */
    void restart();

    @Override
    void close();

    /** No coordinator: the nodes run with {@code coordinator.connect = off}. */
    Coordinator NONE = new Coordinator() {
        @Override
        public boolean available() {
            return false;
        }

        @Override
        public String address() {
            throw new IllegalStateException("no coordinator");
        }

        @Override
        public void start() {}

        @Override
        public void stop() {}

        @Override
        public void kill9() {
            throw new IllegalStateException("no coordinator");
        }

        @Override
        public void restart() {
            throw new IllegalStateException("no coordinator");
        }

        @Override
        public void close() {}
    };
}
