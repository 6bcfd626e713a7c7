package dev.pbkv.server.resp;

import dev.pbkv.server.command.NodeStatus;
import dev.pbkv.server.role.Role;
import java.util.Locale;

/**
 * The INFO reply in Redis's section format ("# Section" then "field:value" lines, CRLF ends).
 * Redis field names are kept where they mean the same thing (role, connected_clients,
 * used_memory, db0:keys=...), so existing tools read them; pbkv's own facts carry a pbkv_ prefix.
 */
final class RespInfo {

    /** The Redis version clients should assume: the command set is a subset of Redis 7's. */
    static final String REDIS_COMPAT_VERSION = "7.2.0";

    static final String PBKV_VERSION = "0.1.0";

    private RespInfo() {}

    static String render(RespDoor door, NodeStatus status, String section) {
        String wanted = section.toLowerCase(Locale.ROOT);
        boolean all = wanted.equals("default") || wanted.equals("all") || wanted.equals("everything");
        StringBuilder b = new StringBuilder(1024);
        if (all || wanted.equals("server")) {
            long uptimeSeconds = status.uptimeMillis() / 1000;
            b.append("# Server\r\n");
            field(b, "redis_version", REDIS_COMPAT_VERSION);
            field(b, "pbkv_version", PBKV_VERSION);
            field(b, "redis_mode", "standalone");
            field(
                    b,
                    "os",
                    System.getProperty("os.name") + " " + System.getProperty("os.version") + " "
                            + System.getProperty("os.arch"));
            field(b, "arch_bits", "64");
            field(b, "java_version", System.getProperty("java.version"));
            field(b, "process_id", ProcessHandle.current().pid());
            field(b, "tcp_port", door.port());
            field(b, "uptime_in_seconds", uptimeSeconds);
            field(b, "uptime_in_days", uptimeSeconds / 86400);
            field(b, "pbkv_node_id", status.nodeId());
            field(b, "pbkv_grpc_address", status.grpcAddress());
            field(b, "pbkv_resp_address", status.respAddress());
            field(b, "pbkv_http_address", status.httpAddress());
            b.append("\r\n");
        }
        if (all || wanted.equals("clients")) {
            b.append("# Clients\r\n");
            field(b, "connected_clients", door.connectedClients());
            field(b, "maxclients", door.limits().maxConnections());
            b.append("\r\n");
        }
        if (all || wanted.equals("memory")) {
            b.append("# Memory\r\n");
            field(b, "used_memory", status.memoryUsedBytes());
            field(b, "used_memory_human", human(status.memoryUsedBytes()));
            field(b, "maxmemory", status.memoryCapacityBytes());
            field(b, "maxmemory_human", human(status.memoryCapacityBytes()));
            field(b, "maxmemory_policy", "noeviction");
            field(b, "mem_allocator", "pbkv-slab-arena");
            b.append("\r\n");
        }
        if (all || wanted.equals("stats")) {
            b.append("# Stats\r\n");
            field(b, "total_connections_received", door.connectionsReceived.get());
            field(b, "total_commands_processed", door.commandsProcessed.sum());
            field(b, "rejected_connections", door.rejectedConnections());
            b.append("\r\n");
        }
        if (all || wanted.equals("replication")) {
            boolean primary = status.role() == Role.PRIMARY;
            b.append("# Replication\r\n");
            field(b, "role", primary ? "master" : "slave");
            if (primary) {
                field(b, "connected_slaves", status.peerConnected() ? 1 : 0);
                if (status.peerConnected() && status.peerAddress() != null) {
                    HostPort peer = HostPort.parse(status.peerAddress());
                    b.append("slave0:ip=")
                            .append(peer.host())
                            .append(",port=")
                            .append(peer.port())
                            .append(",state=")
                            .append(status.state() == dev.pbkv.server.role.NodeState.SYNC ? "online" : "wait_bgsave")
                            .append(",offset=")
                            .append(status.peerAckedOffset())
                            .append(",lag=0\r\n");
                }
            } else {
                HostPort master = HostPort.parse(status.primaryAddress());
                field(b, "master_host", master.host());
                field(b, "master_port", master.port());
                field(b, "master_link_status", status.peerConnected() ? "up" : "down");
                field(b, "slave_repl_offset", status.lastOffset());
                field(b, "slave_read_only", 1);
            }
            field(b, "master_repl_offset", status.lastOffset());
            field(b, "pbkv_configured_role", status.configuredRole());
            field(b, "pbkv_role", status.role());
            field(b, "pbkv_state", status.state());
            field(b, "pbkv_epoch", status.epoch());
            field(b, "pbkv_last_offset", status.lastOffset());
            field(b, "pbkv_durable_offset", status.durableOffset());
            field(b, "pbkv_committed_offset", status.committedOffset());
            field(b, "pbkv_peer_acked_offset", status.peerAckedOffset());
            field(b, "pbkv_replication_lag", Math.max(0, status.lastOffset() - status.peerAckedOffset()));
            field(b, "pbkv_peer_address", status.peerAddress() == null ? "" : status.peerAddress());
            field(b, "pbkv_peer_connected", status.peerConnected() ? 1 : 0);
            field(b, "pbkv_primary_address", status.primaryAddress() == null ? "" : status.primaryAddress());
            var c = status.coordinator();
            field(b, "pbkv_coordinator_connection", c.connection());
            field(b, "pbkv_coordinator_address", c.address());
            field(b, "pbkv_coordinator_state_version", c.stateVersion());
            field(b, "pbkv_coordinator_epoch", c.epoch());
            field(b, "pbkv_coordinator_primary", c.primary() == null ? "" : c.primary());
            field(b, "pbkv_coordinator_in_sync", String.join(",", c.inSync()));
            field(b, "pbkv_coordinator_leader", c.leader() == null ? "" : c.leader());
            b.append("\r\n");
        }
        if (all || wanted.equals("keyspace")) {
            b.append("# Keyspace\r\n");
            if (status.keyCount() > 0) {
                b.append("db0:keys=")
                        .append(status.keyCount())
                        .append(",expires=")
                        .append(status.expiringKeyCount())
                        .append(",avg_ttl=")
                        .append(status.averageTtlMillis())
                        .append("\r\n");
            }
            b.append("\r\n");
        }
        return b.toString();
    }

    private static void field(StringBuilder b, String name, Object value) {
        b.append(name).append(':').append(value == null ? "" : value).append("\r\n");
    }

    private static String human(long bytes) {
        if (bytes < 1024) {
            return bytes + "B";
        }
        String[] units = {"K", "M", "G", "T"};
        double value = bytes;
        int unit = -1;
        while (value >= 1024 && unit < units.length - 1) {
            value /= 1024;
            unit++;
        }
        return String.format(Locale.ROOT, "%.2f%s", value, units[unit]);
    }

    /** host:port split at the last colon (IPv6 hosts have colons of their own). */
    private record HostPort(String host, String port) {
        static HostPort parse(String address) {
            if (address == null || address.isEmpty()) {
                return new HostPort("", "");
            }
            int colon = address.lastIndexOf(':');
            return colon < 0
                    ? new HostPort(address, "")
                    : new HostPort(address.substring(0, colon), address.substring(colon + 1));
        }
    }
}
