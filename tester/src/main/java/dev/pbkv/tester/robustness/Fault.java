package dev.pbkv.tester.robustness;

import java.util.Locale;

/** One kind of fault the nemesis injects, then heals. */
enum Fault {
    /** kill -9 of the node that says it is primary; restarted on its data after the hold. */
    KILL_PRIMARY(false),
    /** kill -9 of the backup; restarted after the hold. */
    KILL_BACKUP(false),
    /** SIGSTOP of the primary; SIGCONT after the hold (a long GC pause, a frozen VM). */
    PAUSE_PRIMARY(false),
    /** SIGSTOP of the backup; SIGCONT after the hold. */
    PAUSE_BACKUP(false),
    /** Both node-to-node links blackholed; clients still reach both nodes. */
    PARTITION_NODES(false),
    /** The primary's link to the coordinator blackholed, not its link to the backup. */
    PARTITION_PRIMARY_COORDINATOR(true),
    /** The backup's link to the coordinator blackholed, not its link to the primary. */
    PARTITION_BACKUP_COORDINATOR(true),
    /** The coordinator stopped gracefully, started again after the hold (the pair should serve on). */
    RESTART_COORDINATOR(true),
    /** The coordinator killed -9, started again after the hold. */
    KILL_COORDINATOR(true);

    final boolean needsCoordinator;

    Fault(boolean needsCoordinator) {
        this.needsCoordinator = needsCoordinator;
    }

    String label() {
        return name().toLowerCase(Locale.ROOT).replace('_', '-');
    }
}
