package dev.pbkv.tester.robustness;

import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.stream.Collectors;

/**
 * A robustness scenario: the faults the nemesis draws from, one at a time. Without a coordinator
 * only the node faults run (no role changes by themselves: a killed or paused primary is
 * unavailable until it is back, and must then lose nothing); the coordinator faults need one.
 */
public enum Scenario {
    KILL_PRIMARY(Fault.KILL_PRIMARY),
    KILL_BACKUP(Fault.KILL_BACKUP),
    KILL_ANY(Fault.KILL_PRIMARY, Fault.KILL_BACKUP),
    PAUSE_PRIMARY(Fault.PAUSE_PRIMARY),
    PAUSE_BACKUP(Fault.PAUSE_BACKUP),
    PARTITION_NODES(Fault.PARTITION_NODES),
    PARTITION_COORDINATOR(Fault.PARTITION_PRIMARY_COORDINATOR, Fault.PARTITION_BACKUP_COORDINATOR),
    RESTART_COORDINATOR(Fault.RESTART_COORDINATOR, Fault.KILL_COORDINATOR),
    MIXED(Fault.values());

    private final List<Fault> faults;

    Scenario(Fault... faults) {
        this.faults = List.of(faults);
    }

    /** The faults this scenario draws from, given whether there is a coordinator. */
    List<Fault> faults(boolean coordinator) {
        return faults.stream().filter(f -> coordinator || !f.needsCoordinator).toList();
    }

    /** Whether it can run at all without a coordinator. */
    public boolean runsWithoutCoordinator() {
        return !faults(false).isEmpty();
    }

    public String label() {
        return name().toLowerCase(Locale.ROOT).replace('_', '-');
    }

    public static Scenario parse(String s) {
        try {
            return valueOf(s.toUpperCase(Locale.ROOT).replace('-', '_'));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("unknown scenario '" + s + "'; one of " + labels());
        }
    }

    public static String labels() {
        return Arrays.stream(values()).map(Scenario::label).collect(Collectors.joining(", "));
    }
}
