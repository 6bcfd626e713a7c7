package dev.pbkv.store;

import dev.pbkv.store.map.Lookup;

/**
 * The outcome of {@link Store#apply}.
 *
 * @param outcome      what the write did
 * @param record       the log record the write produced, or null when it changed nothing
 * @param answerOffset the offset the answer rests on, which a linearizable caller sees committed
 *                     before it answers: the record's offset when the write changed the map; for
 *                     {@link WriteOutcome#PRESENT} and {@link WriteOutcome#ABSENT} the offset of the
 *                     entry found, or of the newest delete in the key's bucket, when the store
 *                     refused the write ({@link Lookup#offset()}); 0 otherwise. For a batch, the
 *                     highest such offset of every key it looked at when it changed nothing or was refused
 * @param batch        for a batch, what each operation saw; null for a single-key write
 * @param previous     for a write asked {@link Mutation#returningPrevious()}, the key's value just
 *                     before it (null: absent or expired), whether or not the write changed it; else null
 */
public record WriteResult(
        WriteOutcome outcome, LogRecord record, long answerOffset, BatchOutcome batch, byte[] previous) {
    /** A result that carries no previous value. */
    public WriteResult(WriteOutcome outcome, LogRecord record, long answerOffset, BatchOutcome batch) {
        this(outcome, record, answerOffset, batch, null);
    }

    /** The result of a single-key write. */
    public WriteResult(WriteOutcome outcome, LogRecord record, long answerOffset) {
        this(outcome, record, answerOffset, null);
    }

    /** A result whose answer rests only on its own record (none when record is null). */
    public WriteResult(WriteOutcome outcome, LogRecord record) {
        this(outcome, record, record == null ? 0 : record.offset());
    }

    public boolean changed() {
        return record != null;
    }

    /** The offset of the record written, or 0 when the write changed nothing. */
    public long offset() {
        return record == null ? 0 : record.offset();
    }
}
