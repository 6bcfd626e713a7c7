package dev.pbkv.store;

import dev.pbkv.store.log.GroupCommitLog;
import dev.pbkv.store.log.SegmentedLog;
import java.io.IOException;
import java.util.List;

/**
 * Reads the retained log on disk for replication: the records after an offset (catch-up) and the
 * epoch at an offset (where two histories part). Runs on the caller's thread and takes no store
 * lock: the segments guard their own files, and queued records are waited for, not locked.
 */
final class RetainedLogReader {
    private final HistoryHead head;
    private final SegmentedLog segments;
    private final GroupCommitLog log;

    RetainedLogReader(HistoryHead head, SegmentedLog segments, GroupCommitLog log) {
        this.head = head;
        this.segments = segments;
        this.log = log;
    }

    /**
     * Up to max records with offsets above afterOffset, in order, read from the retained log on
     * disk (records still queued are written first). Throws {@link TailNotRetainedException}
     * when afterOffset is below {@link SegmentedLog#baseOffset()}.
     */
    List<LogRecord> read(long afterOffset, int max) throws TailNotRetainedException, IOException {
        long base = segments.baseOffset();
        if (afterOffset < base) {
            throw new TailNotRetainedException(afterOffset, base);
        }
        long last = head.lastOffset;
        if (afterOffset >= last || max <= 0) {
            return List.of();
        }
        log.awaitWritten(Math.min(last, afterOffset + max));
        return segments.read(afterOffset, max);
    }

    /** The epoch of the record at offset (0 for offset 0); used to find where two histories part. */
    long epochAt(long offset) throws TailNotRetainedException, IOException {
        if (offset == 0) {
            return 0;
        }
        long last = head.lastOffset;
        if (offset > last) {
            throw new IllegalArgumentException("offset " + offset + " is beyond the last offset " + last);
        }
        long base = segments.baseOffset();
        if (offset < base) {
            throw new TailNotRetainedException(offset - 1, base);
        }
        if (offset == base) {
            return segments.baseEpoch();
        }
        List<LogRecord> one = read(offset - 1, 1);
        if (one.isEmpty() || one.get(0).offset() != offset) {
            throw new IOException("log does not hold offset " + offset);
        }
        return one.get(0).epoch();
    }
}
