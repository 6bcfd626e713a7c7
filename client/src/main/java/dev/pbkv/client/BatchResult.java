package dev.pbkv.client;

import dev.pbkv.proto.BatchResponse;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Optional;

/**
 * The result of {@link PbkvClient#batch}.
 *
 * @param status   OK (every operation applied), or the store's "no" that refused the whole batch
 *                 with nothing applied: ALREADY_EXISTS (an insert's key was present) or NOT_FOUND
 *                 (an update's key was absent)
 * @param offset   the log offset of the batch's record; 0 unless OK and something changed
 * @param detailed whether before is known (false for a retry answered from the server's
 *                 at-most-once table, which keeps no values)
 * @param before   per operation, the key's value just before it (empty where absent): a get's
 *                 answer, a delete's deleted value; empty unless OK and detailed
 */
public record BatchResult(WriteStatus status, long offset, boolean detailed, List<Optional<byte[]>> before) {
    public static final BatchResult NOT_FOUND = new BatchResult(WriteStatus.NOT_FOUND, 0, false, List.of());
    public static final BatchResult ALREADY_EXISTS = new BatchResult(WriteStatus.ALREADY_EXISTS, 0, false, List.of());

    static BatchResult of(BatchResponse response) {
        List<Optional<byte[]>> before = new ArrayList<>(response.getResultsCount());
        for (var r : response.getResultsList()) {
            before.add(r.getExisted() ? Optional.of(r.getValue().toByteArray()) : Optional.empty());
        }
        return new BatchResult(
                WriteStatus.OK, response.getOffset(), response.getDetailed(), Collections.unmodifiableList(before));
    }

    public boolean isOk() {
        return status == WriteStatus.OK;
    }
}
