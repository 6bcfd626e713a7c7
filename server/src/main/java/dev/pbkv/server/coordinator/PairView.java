package dev.pbkv.server.coordinator;

/**
 * One read of the pair's znodes.
 *
 * @param record      the {@code state} record, or null when the pair has none yet
 * @param version     the {@code state} znode's version (-1 without one): what a compare-and-set names
 * @param leader      the node id in the ephemeral {@code leader} znode, or null when it is absent
 * @param leaderIsOurs the {@code leader} znode belongs to this node's current session
 */
public record PairView(PairRecord record, int version, String leader, boolean leaderIsOurs) {

    public boolean leaderPresent() {
        return leader != null;
    }

    @Override
    public String toString() {
        return "state v" + version + " " + (record == null ? "(none)" : record) + ", leader "
                + (leader == null ? "absent" : leader + (leaderIsOurs ? " (this session)" : ""));
    }
}
