package dev.pbkv.client;

/**
 * The answer to a promotion request: either the node is now primary with a new epoch, or it
 * refused (its primary is alive and reachable, or it is primary already) and says why.
 */
public record PromoteResult(boolean promoted, long epoch, String refusal) {

    static PromoteResult promoted(long epoch) {
        return new PromoteResult(true, epoch, "");
    }

    static PromoteResult refused(String reason) {
        return new PromoteResult(false, 0, reason);
    }
}
