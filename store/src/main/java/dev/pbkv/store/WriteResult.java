package dev.pbkv.store;

/**
 * The outcome of {@link Store#apply}.
 *
 * @param result the store's answer
 * @param record the log record the write produced, or null when it changed nothing
 */
public record WriteResult(StoreResult result, LogRecord record) {
    public boolean changed() {
        return record != null;
    }

    /** The offset of the record written, or 0 when the write changed nothing. */
    public long offset() {
        return record == null ? 0 : record.offset();
    }
}
