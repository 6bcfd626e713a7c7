package dev.pbkv.server.command;

import dev.pbkv.server.command.watch.ChangeFilter;
import dev.pbkv.server.command.watch.Watch;
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

    /**
     * Opens a watch of the committed changes of the keys filter matches, from startOffset (0: from
     * now), in log order (docs/watch.md). listener is called, on the watch thread, whenever the
     * watch has something to take or ended; it must only schedule the door's work.
     */
    default Reply<Watch> watch(ChangeFilter filter, long startOffset, boolean allowStale, Runnable listener) {
        return Reply.failure(ErrorCode.UNAVAILABLE, "this node serves no watches");
    }
}
