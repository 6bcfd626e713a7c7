package dev.pbkv.server.coordinator;

import java.util.List;

/**
 * What a node knows of its coordinator, for status, INFO, /health and /metrics.
 *
 * @param connection   the client's connection (OFF without a coordinator)
 * @param address      the connect string and pair path, or "off"
 * @param stateVersion the state znode's version last read (-1 when none or unknown)
 * @param epoch        the epoch in the state record (0 when unknown)
 * @param primary      the primary the state record names, or null
 * @param inSync       the in_sync members of the state record (empty when unknown)
 * @param leader       the node whose session holds the leader znode, or null when absent or unknown
 */
public record CoordinatorStatus(
        Connection connection,
        String address,
        int stateVersion,
        long epoch,
        String primary,
        List<String> inSync,
        String leader) {

    public static final CoordinatorStatus OFF =
            new CoordinatorStatus(Connection.OFF, "off", -1, 0, null, List.of(), null);

    /** From the last read of the znodes (view may be null: not read yet). */
    public static CoordinatorStatus of(Connection connection, String address, PairView view) {
        if (view == null || view.record() == null) {
            return new CoordinatorStatus(
                    connection, address, -1, 0, null, List.of(), view == null ? null : view.leader());
        }
        PairRecord r = view.record();
        return new CoordinatorStatus(
                connection, address, view.version(), r.epoch(), r.primary(), r.inSync(), view.leader());
    }
}
