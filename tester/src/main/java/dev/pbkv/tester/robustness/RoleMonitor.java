package dev.pbkv.tester.robustness;

import dev.pbkv.proto.Role;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Polls both nodes' Admin.Status every 100 ms on its own thread and counts what the report shows:
 * failovers (the node that alone says PRIMARY is another than the last one that did) and the
 * samples in which both nodes said PRIMARY at once (the linearizability check judges whether
 * both also acknowledged writes; this only says it was claimed).
 */
final class RoleMonitor implements AutoCloseable {
    /** A change of primary: when it was seen and which node it is now. */
    record Change(long seenNanos, String from, String to) {}

    private final Cluster cluster;
    private final RunLog log;
    private final Thread thread;
    private volatile boolean stopped;
    // Written by the monitor thread only; read by others after close() (join gives the ordering).
    private final List<Change> changes = new ArrayList<>();
    private int bothPrimarySamples;
    private String lastPrimary;
    /** Whether the last sample had both nodes saying PRIMARY (so a run of such samples logs once). */
    private boolean wasBoth;

    RoleMonitor(Cluster cluster, RunLog log) {
        this.cluster = cluster;
        this.log = log;
        this.thread = new Thread(this::loop, "robustness-role-monitor");
        this.thread.setDaemon(true);
    }

    RoleMonitor start() {
        thread.start();
        return this;
    }

    private void loop() {
        while (!stopped) {
            List<String> primaries = new ArrayList<>();
            StringBuilder seen = new StringBuilder();
            for (Cluster.Node n : cluster.nodes()) {
                Optional<dev.pbkv.proto.StatusResponse> st = cluster.status(n, Duration.ofMillis(300));
                if (st.map(s -> s.getRole() == Role.PRIMARY).orElse(false)) {
                    primaries.add(n.name);
                    seen.append(' ')
                            .append(n.name)
                            .append(": ")
                            .append(st.get().getState())
                            .append(" epoch ")
                            .append(st.get().getEpoch())
                            .append(';');
                }
            }
            if (primaries.size() == 2) {
                if (bothPrimarySamples++ == 0 || !wasBoth) {
                    log.line("both nodes say PRIMARY:%s", seen);
                }
                wasBoth = true;
                sleepQuietly();
                continue;
            }
            wasBoth = false;
            if (primaries.size() == 1) {
                String p = primaries.get(0);
                if (lastPrimary != null && !lastPrimary.equals(p)) {
                    changes.add(new Change(System.nanoTime(), lastPrimary, p));
                    log.line("primary is now %s (was %s)", p, lastPrimary);
                }
                lastPrimary = p;
            }
            sleepQuietly();
        }
    }

    private void sleepQuietly() {
        try {
            Thread.sleep(100);
        } catch (InterruptedException e) {
            stopped = true;
        }
    }

    /** The changes of primary seen; valid after {@link #close()}. */
    List<Change> changes() {
        return List.copyOf(changes);
    }

    int bothPrimarySamples() {
        return bothPrimarySamples;
    }

    Optional<String> lastPrimary() {
        return Optional.ofNullable(lastPrimary);
    }

    @Override
    public void close() {
        stopped = true;
        thread.interrupt();
        try {
            thread.join(5000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
