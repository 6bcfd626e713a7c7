package dev.pbkv.server.replication;

/**
 * A promotion that may not happen now: the primary is alive and reachable, this node is already
 * primary, or it is shutting down. An {@link IllegalStateException}, so the command layer answers
 * FAILED_PRECONDITION.
 */
public final class PromotionRefusedException extends IllegalStateException {
    private static final long serialVersionUID = 1L;

    public PromotionRefusedException(String message) {
        super(message);
    }
}
