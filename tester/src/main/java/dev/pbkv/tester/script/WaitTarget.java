package dev.pbkv.tester.script;

/**
 * What {@code wait <node> <TARGET>} waits for: a state of the replication state machine, a role,
 * or simply whether the node answers at all.
 */
public enum WaitTarget {
    COLD_START(Kind.STATE),
    WARM_START(Kind.STATE),
    BOOTSTRAP(Kind.STATE),
    SYNC(Kind.STATE),
    SHUTTING_DOWN(Kind.STATE),
    /** BOOTSTRAP or SYNC: a primary serves reads and writes, a backup follows its primary. */
    SERVING(Kind.STATE),
    PRIMARY(Kind.ROLE),
    BACKUP(Kind.ROLE),
    /** The node answers a status request, in any state. */
    UP(Kind.REACHABILITY),
    /** The node does not answer: refused, reset or timed out. */
    DOWN(Kind.REACHABILITY);

    /** Which part of a status answer the target is compared with. */
    public enum Kind {
        STATE,
        ROLE,
        REACHABILITY
    }

    private final Kind kind;

    WaitTarget(Kind kind) {
        this.kind = kind;
    }

    public Kind kind() {
        return kind;
    }
}
