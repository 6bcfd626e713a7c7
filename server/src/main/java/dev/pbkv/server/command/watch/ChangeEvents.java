package dev.pbkv.server.command.watch;

import dev.pbkv.store.LogRecord;
import dev.pbkv.store.log.BatchCodec;
import dev.pbkv.store.log.RecordCodec;
import java.util.List;

/**
 * The one mapping from a log record to the changes watchers see. A record yields a list because
 * one record may hold several operations (a batch record yields one change per operation, all
 * at the record's offset). Every door's events (gRPC Watch, RESP keyspace notifications) come
 * from here.
 */
public final class ChangeEvents {
    private ChangeEvents() {}

    /** The changes a record made, in the order it made them. */
    public static List<Change> of(LogRecord r) {
        // The one switch from a record's effect to a change kind: a new effect adds its case here.
        return switch (r.effect()) {
            case PUT -> List.of(new Change(r.offset(), ChangeKind.SET, r.key(), r.value()));
            case DELETE -> List.of(new Change(r.offset(), ChangeKind.DEL, r.key(), EMPTY));
            // The primary removed the key because its deadline passed (docs/expiry.md).
            case EXPIRED -> List.of(new Change(r.offset(), ChangeKind.EXPIRED, r.key(), EMPTY));
            // A deadline set or cleared changes no value: a watcher sees the key's removal when it comes.
            case EXPIRE -> List.of();
            // A batch's puts and deletes, in order, all at the batch's one offset.
            case BATCH -> batch(r);
        };
    }

    private static List<Change> batch(LogRecord r) {
        List<LogRecord> effects;
        try {
            effects = BatchCodec.expand(r);
        } catch (RecordCodec.CorruptRecordException e) {
            // The log's decoder already refused records whose payload does not parse.
            throw new IllegalStateException("batch record " + r.offset() + " does not parse: " + e.getMessage(), e);
        }
        List<Change> changes = new java.util.ArrayList<>(effects.size());
        for (LogRecord e : effects) {
            for (Change c : of(e)) {
                changes.add(new Change(r.offset(), c.kind(), c.key(), c.value()));
            }
        }
        return changes;
    }

    private static final byte[] EMPTY = new byte[0];
}
