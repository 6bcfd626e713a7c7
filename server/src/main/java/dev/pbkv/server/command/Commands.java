package dev.pbkv.server.command;

import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.function.Consumer;

/**
 * The one command layer every door (gRPC, RESP, HTTP) calls: validation and limits, role and
 * state checks, and the mapping of store results to {@link ErrorCode}s live behind this
 * interface, once. Doors translate protocol to these calls and {@link Reply} back, nothing more.
 *
 * <p>Writes complete when committed (durable per the fsync policy and, in SYNC, on the backup).
 * Reads on the primary are linearizable; with allowStale a backup answers from its own copy.
 */
public interface Commands {

    CompletableFuture<Reply<byte[]>> get(byte[] key, boolean allowStale);

    CompletableFuture<Reply<WriteAck>> insert(byte[] key, byte[] value, WriteTag tag);

    CompletableFuture<Reply<WriteAck>> update(byte[] key, byte[] value, WriteTag tag);

    CompletableFuture<Reply<WriteAck>> put(byte[] key, byte[] value, WriteTag tag);

    CompletableFuture<Reply<WriteAck>> delete(byte[] key, WriteTag tag);

    CompletableFuture<Reply<Boolean>> exists(byte[] key, boolean allowStale);

    /**
     * Applies steps all or nothing as one log record (docs/batches.md): a failed insert or update
     * condition refuses the whole batch (ALREADY_EXISTS or NOT_FOUND, naming the step) with nothing
     * applied. At most limits.max-batch-ops steps and limits.max-batch-bytes of keys and values.
     */
    CompletableFuture<Reply<BatchAck>> batch(List<BatchStep> steps, WriteTag tag);

    /**
     * The values of keys (null where absent), read together: a batch is seen whole or not at all.
     */
    CompletableFuture<Reply<List<byte[]>>> getMany(List<byte[]> keys, boolean allowStale);

    /**
     * Deletes key and answers the value it deleted, read in the same step (a batch of one delete):
     * NOT_FOUND when absent. The value is null for a retry answered from the at-most-once table.
     */
    default CompletableFuture<Reply<byte[]>> deleteReturning(byte[] key, WriteTag tag) {
        return batch(List.of(BatchStep.delete(key)), tag).thenApply(r -> {
            if (r instanceof Reply.Failure<BatchAck> f) {
                return new Reply.Failure<>(f.code(), f.message(), f.primaryAddress());
            }
            BatchAck ack = ((Reply.Success<BatchAck>) r).value();
            if (!ack.detailed()) {
                return Reply.success(null);
            }
            return ack.existed(0)
                    ? Reply.success(ack.before().get(0))
                    : Reply.failure(ErrorCode.NOT_FOUND, "key not found");
        });
    }

    CompletableFuture<Reply<Long>> count(boolean allowStale);

    /** Entries whose key starts with prefix and sorts after startAfter, key order, at most limit (0: default). */
    CompletableFuture<Reply<List<KeyValue>>> scan(byte[] prefix, byte[] startAfter, int limit, boolean allowStale);

    /** Streams every entry to pageSink in pages (consistent per bucket); completes after the last page. */
    CompletableFuture<Reply<Void>> dump(boolean allowStale, Consumer<List<KeyValue>> pageSink);

    NodeStatus status();

    /** Promotes this backup to primary with a new epoch; answers the new epoch. */
    CompletableFuture<Reply<Long>> promote(boolean force);

    /** Starts a graceful shutdown; answers whether the primary role was handed over first. */
    CompletableFuture<Reply<Boolean>> shutdown(boolean skipSwitchover);
}
