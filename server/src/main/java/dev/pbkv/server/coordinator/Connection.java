package dev.pbkv.server.coordinator;

/** This node's link to the coordinator, as its client last reported it. */
public enum Connection {
    /** No coordinator is configured (coordinator.connect = off). */
    OFF,
    /** Started, not connected yet. */
    CONNECTING,
    /** Connected with a live session. */
    CONNECTED,
    /** Disconnected; the session may still be alive, or may expire. Treated as lost for serving. */
    SUSPENDED,
    /** The session expired (or the client gave it up): its ephemeral znodes are gone. */
    LOST,
    /** Closed by this node. */
    CLOSED
}
