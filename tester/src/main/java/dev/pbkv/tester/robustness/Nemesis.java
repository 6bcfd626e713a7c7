package dev.pbkv.tester.robustness;

import java.util.List;
import java.util.Optional;
import java.util.Random;

/**
 * Injects one fault at a time into the cluster, holds it, heals it. Which fault and how long it
 * holds come from the run's seeded random, so a seed replays the same sequence of choices (the
 * timing of the system under test still varies). Not thread-safe: the run's control thread calls it.
 */
final class Nemesis {
    /** What one fault did: for the report, and for {@code bin/bench failover}'s timings. */
    record Injected(int number, Fault fault, String target, long startNanos, long healNanos, String note) {}

    private final Cluster cluster;
    private final List<Fault> faults;
    private final Random rnd;
    private final long holdMinMillis;
    private final long holdMaxMillis;
    private final RunLog log;
    private int count;

    Nemesis(Cluster cluster, List<Fault> faults, Random rnd, long holdMinMillis, long holdMaxMillis, RunLog log) {
        if (faults.isEmpty()) {
            throw new IllegalArgumentException("no fault to inject");
        }
        this.cluster = cluster;
        this.faults = List.copyOf(faults);
        this.rnd = rnd;
        this.holdMinMillis = holdMinMillis;
        this.holdMaxMillis = Math.max(holdMinMillis, holdMaxMillis);
        this.log = log;
    }

    /** Picks a fault, applies it, waits the hold, heals it. */
    Injected injectOne() {
        Fault f = faults.get(rnd.nextInt(faults.size()));
        long hold =
                holdMinMillis + (holdMaxMillis == holdMinMillis ? 0 : rnd.nextLong(holdMaxMillis - holdMinMillis + 1));
        return inject(f, hold);
    }

    Injected inject(Fault f, long holdMillis) {
        int n = ++count;
        Optional<Cluster.Node> primary = cluster.primary();
        Cluster.Node p = primary.orElse(cluster.nodes().get(0));
        Cluster.Node target = switch (f) {
            case KILL_BACKUP, PAUSE_BACKUP, PARTITION_BACKUP_COORDINATOR -> cluster.other(p);
            default -> p;
        };
        String note = primary.isEmpty() ? "no node said it was primary; took " + p.name : "";
        String what = switch (f) {
            case PARTITION_NODES -> "the node-to-node links";
            case RESTART_COORDINATOR, KILL_COORDINATOR -> "the coordinator";
            default -> target.name + " (pid " + target.process.pid() + ")";
        };
        log.line("fault %d: %s %s, held %d ms", n, f.label(), what, holdMillis);
        long start = System.nanoTime();
        switch (f) {
            case KILL_PRIMARY, KILL_BACKUP -> cluster.kill(target);
            case PAUSE_PRIMARY, PAUSE_BACKUP -> cluster.pause(target);
            case PARTITION_NODES -> cluster.cutNodes();
            case PARTITION_PRIMARY_COORDINATOR, PARTITION_BACKUP_COORDINATOR -> target.toCoordinator.cut();
            case RESTART_COORDINATOR -> cluster.coordinator().stop();
            case KILL_COORDINATOR -> cluster.coordinator().kill9();
        }
        sleep(holdMillis);
        long heal = System.nanoTime();
        switch (f) {
            case KILL_PRIMARY, KILL_BACKUP -> cluster.restart(target);
            case PAUSE_PRIMARY, PAUSE_BACKUP -> cluster.resume(target);
            case PARTITION_NODES -> cluster.healNodes();
            case PARTITION_PRIMARY_COORDINATOR, PARTITION_BACKUP_COORDINATOR -> target.toCoordinator.heal();
            case RESTART_COORDINATOR, KILL_COORDINATOR -> cluster.coordinator().restart();
        }
        log.line("healed %d: %s", n, f.label());
        return new Injected(n, f, f == Fault.PARTITION_NODES ? "links" : target.name, start, heal, note);
    }

    /** The fault is held by waiting: the system under test is what must act meanwhile. */
    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
