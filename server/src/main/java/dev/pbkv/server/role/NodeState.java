package dev.pbkv.server.role;

/** The replication state machine's states; see docs/state-machine.md. Exactly these five. */
public enum NodeState {
    COLD_START,
    WARM_START,
    BOOTSTRAP,
    SYNC,
    SHUTTING_DOWN
}
