package dev.pbkv.server.command;

/**
 * The at-most-once identity of a write: a retry with the same tag is applied once and answered
 * with the first result. {@link #NONE} means untagged.
 */
public record WriteTag(long clientId, long sequence) {
    public static final WriteTag NONE = new WriteTag(0, 0);

    public boolean isSet() {
        return clientId != 0;
    }
}
