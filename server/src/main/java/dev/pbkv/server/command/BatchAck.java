package dev.pbkv.server.command;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * A committed batch.
 *
 * @param offset the log offset of its one record; 0 when no step changed the store
 * @param before per step, in order, the key's value just before that step (null where absent): a
 *               get's answer, a delete's deleted value, whether a put created its key. Empty when
 *               the batch was a retry answered from the at-most-once table, which keeps no values
 */
public record BatchAck(long offset, List<byte[]> before) {
    public BatchAck {
        before = Collections.unmodifiableList(new ArrayList<>(before));
    }

    /** Whether the steps' values are known (false for a retry's answer). */
    public boolean detailed() {
        return !before.isEmpty();
    }

    /** Whether step i found its key present (a delete that deleted, a put that replaced). */
    public boolean existed(int i) {
        return before.get(i) != null;
    }
}
