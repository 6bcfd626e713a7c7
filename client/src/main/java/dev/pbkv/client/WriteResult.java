package dev.pbkv.client;

import dev.pbkv.proto.WriteResponse;

/**
 * The result of insert, update, put or delete.
 *
 * @param status OK, or the store's "no" (NOT_FOUND, ALREADY_EXISTS)
 * @param offset the log offset the node gave the write; 0 unless status is OK
 * @param created for put: whether the key was absent before; insert: true; others: false
 */
public record WriteResult(WriteStatus status, long offset, boolean created) {

    public static final WriteResult NOT_FOUND = new WriteResult(WriteStatus.NOT_FOUND, 0, false);
    public static final WriteResult ALREADY_EXISTS = new WriteResult(WriteStatus.ALREADY_EXISTS, 0, false);

    static WriteResult of(WriteResponse response) {
        return new WriteResult(WriteStatus.OK, response.getOffset(), response.getCreated());
    }

    /** Whether the write was applied. */
    public boolean isOk() {
        return status == WriteStatus.OK;
    }
}
