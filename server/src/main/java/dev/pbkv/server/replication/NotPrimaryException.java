package dev.pbkv.server.replication;

/** This node cannot take the write now; the client should go to primaryAddress (may be null). */
public final class NotPrimaryException extends RuntimeException {
    private static final long serialVersionUID = 1L;
    private final transient String primaryAddress;

    public NotPrimaryException(String message, String primaryAddress) {
        super(message, null, false, false);
        this.primaryAddress = primaryAddress;
    }

    public String primaryAddress() {
        return primaryAddress;
    }
}
