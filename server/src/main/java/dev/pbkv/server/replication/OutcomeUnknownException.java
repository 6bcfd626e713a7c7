package dev.pbkv.server.replication;

/**
 * A write was applied here but can no longer be acknowledged: it may survive (it reached the
 * backup, which took over) or be discarded (a divergent tail). The client must not take it as
 * refused: "outcome unknown", never "refused, not applied" (docs/api.md, per door).
 */
public final class OutcomeUnknownException extends RuntimeException {
    private static final long serialVersionUID = 1L;
    private final transient String primaryAddress;

    public OutcomeUnknownException(String message, String primaryAddress) {
        super(message, null, false, false);
        this.primaryAddress = primaryAddress;
    }

    public String primaryAddress() {
        return primaryAddress;
    }
}
