package dev.pbkv.server.config;

import com.fasterxml.jackson.databind.JsonNode;
import dev.pbkv.server.role.Role;

/**
 * The effective configuration of one node: conf/settings.conf, then the documented defaults for
 * keys it leaves out, then the command-line flags. Immutable; validated once by {@link SettingsLoader}.
 *
 * @param role        the role given at start (-p or -b)
 * @param primary     {@code nodes.primary}
 * @param backup      {@code nodes.backup}
 * @param peerAddress the peer's gRPC address host:port (--peer; default: the other node's host and grpc-port)
 * @param store       {@code store}
 * @param limits      {@code limits}
 * @param replication {@code replication}
 * @param coordinator {@code coordinator}
 * @param auth        {@code auth}
 * @param effective   the merged settings tree, for the start-up log line and for doors that add keys
 */
public record Settings(
        Role role,
        NodeSettings primary,
        NodeSettings backup,
        String peerAddress,
        StoreSettings store,
        LimitSettings limits,
        ReplicationSettings replication,
        CoordinatorSettings coordinator,
        AuthSettings auth,
        TlsSettings tls,
        JsonNode effective) {

    /** This node's own entry. */
    public NodeSettings self() {
        return role == Role.PRIMARY ? primary : backup;
    }

    /** The other node's entry. */
    public NodeSettings peer() {
        return role == Role.PRIMARY ? backup : primary;
    }

    /** "primary" or "backup": the node's name in the settings and in logs. */
    public String nodeId() {
        return role == Role.PRIMARY ? "primary" : "backup";
    }

    /** Default of {@code watch.buffer-bytes}. */
    public static final long DEFAULT_WATCH_BUFFER_BYTES = 1L << 20;

    /**
     * {@code watch.buffer-bytes}: changes found for one watcher and not yet sent, above which the
     * watcher is disconnected (validated by the loader; the default when the tree has no such key).
     */
    public long watchBufferBytes() {
        JsonNode n = effective == null ? null : effective.path("watch").path("buffer-bytes");
        return n != null && n.canConvertToLong() && n.asLong() > 0 ? n.asLong() : DEFAULT_WATCH_BUFFER_BYTES;
    }

    /** One line for the start-up log: the role, the peer and every setting in effect. */
    public String describe() {
        return "role=" + nodeId() + " peer=" + peerAddress + " settings=" + effective;
    }
}
