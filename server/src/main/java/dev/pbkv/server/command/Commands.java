package dev.pbkv.server.command;

import dev.pbkv.server.auth.Access;
import dev.pbkv.server.auth.Principal;
import dev.pbkv.server.command.watch.ChangeFilter;
import dev.pbkv.server.command.watch.Watch;
import java.util.List;
import java.util.Optional;
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

    /**
     * Writes a backup of the contents at exactly one offset to name in backup.dir (empty name:
     * backup-&lt;offset&gt;-&lt;utc time&gt;.pbkb), on this node's disk; completes once it is written and
     * its offset committed (docs/persistence.md, "Backups"). The serving primary only (else
     * UNAVAILABLE); RESOURCE_EXHAUSTED past backup.max-concurrent unless backup.wait-when-busy.
     */
    default CompletableFuture<Reply<BackupAck>> backup(String name) {
        return CompletableFuture.completedFuture(Reply.failure(ErrorCode.UNAVAILABLE, "this node takes no backups"));
    }

    /** Epoch seconds of the last successful backup (RESP LASTSAVE); 0 when there was none. */
    default long lastBackupSeconds() {
        return 0;
    }

    /**
     * These commands as the caller may use them: each call its user's access does not cover is
     * answered PERMISSION_DENIED, not run (docs/security.md). Doors call this once per connection
     * (RESP) or per request (gRPC, HTTP), after authenticating.
     */
    default Commands as(Principal caller) {
        return caller.may(Access.ADMIN) ? this : new AuthorizedCommands(this, caller);
    }

    /**
     * An event loop about to make a write in its current turn: whether it must call
     * {@link #writeExpectedLog} once at the end of that turn, when it then writes the turn's log
     * records itself (fsync no) instead of waking the log thread and hopping back for the answers.
     */
    default boolean expectLogWrite() {
        return false;
    }

    /** Keeps the promise of a true {@link #expectLogWrite}. */
    default void writeExpectedLog() {}

    /** Whether callers must authenticate (auth.users is not empty) before any command. */
    default boolean authenticationRequired() {
        return false;
    }

    /**
     * Checks a user name and password: the principal, or empty when either is wrong (answered only
     * after auth.failure-delay-ms). Completes on another thread when a hash must be computed, so a
     * door may call it from its event loop.
     */
    default CompletableFuture<Optional<Principal>> authenticate(String user, byte[] password) {
        return CompletableFuture.completedFuture(Optional.of(Principal.UNRESTRICTED));
    }

    /** Failed authentications since the start (for /metrics). */
    default long authenticationFailures() {
        return 0;
    }

    // ---- expiry (docs/expiry.md); the defaults serve implementations without it (test doubles)

    /** As {@link #insert(byte[], byte[], WriteTag)}, the key then expiring as expiry says. */
    default CompletableFuture<Reply<WriteAck>> insert(byte[] key, byte[] value, Expiry expiry, WriteTag tag) {
        return expiry.kind() == Expiry.Kind.NONE ? insert(key, value, tag) : noExpiry();
    }

    /** As {@link #update(byte[], byte[], WriteTag)}; {@link Expiry#NONE} clears the key's deadline, KEEP keeps it. */
    default CompletableFuture<Reply<WriteAck>> update(byte[] key, byte[] value, Expiry expiry, WriteTag tag) {
        return expiry.kind() == Expiry.Kind.NONE ? update(key, value, tag) : noExpiry();
    }

    /** As {@link #put(byte[], byte[], WriteTag)}; {@link Expiry#NONE} clears the key's deadline, KEEP keeps it. */
    default CompletableFuture<Reply<WriteAck>> put(byte[] key, byte[] value, Expiry expiry, WriteTag tag) {
        return expiry.kind() == Expiry.Kind.NONE ? put(key, value, tag) : noExpiry();
    }

    /**
     * Sets (IN, AT) or clears (PERSIST) the deadline of a present key; answers whether it changed
     * something (Redis's 1 or 0). A deadline already passed deletes the key, as Redis does.
     */
    default CompletableFuture<Reply<Boolean>> expire(byte[] key, Expiry expiry) {
        return noExpiry();
    }

    /**
     * As {@link #expire(byte[], Expiry)}, only if condition holds for the key's deadline (Redis 7's
     * NX, XX, GT, LT), checked on the primary in the same step as the change; answers false, changing
     * nothing, when it does not. Incompatible options, or any with PERSIST: INVALID_ARGUMENT.
     */
    default CompletableFuture<Reply<Boolean>> expire(byte[] key, Expiry expiry, ExpireCondition condition) {
        return condition == null || condition.isNone() ? expire(key, expiry) : noExpiry();
    }

    /**
     * A write (put, or insert / update per mode) that answers the value the key had just before it,
     * read by the primary in the same step as the write (Redis's {@code SET ... GET}): null when the
     * key was absent or expired. An insert of a present key or an update of an absent one writes
     * nothing and is no failure here: the answer is still the value the key had (null for the
     * update). expiry as for put; untagged (no at-most-once retry).
     */
    default CompletableFuture<Reply<byte[]>> setReturningPrevious(
            byte[] key, byte[] value, Expiry expiry, SetMode mode) {
        return CompletableFuture.completedFuture(
                Reply.failure(ErrorCode.INVALID_ARGUMENT, "this implementation has no SET ... GET"));
    }

    /** The key's time to live (Redis's TTL and PTTL). */
    default CompletableFuture<Reply<KeyTtl>> ttl(byte[] key, boolean allowStale) {
        return noExpiry();
    }

    private static <T> CompletableFuture<Reply<T>> noExpiry() {
        return CompletableFuture.completedFuture(
                Reply.failure(ErrorCode.INVALID_ARGUMENT, "this implementation has no expiring keys"));
    }

    /**
     * Opens a watch of the committed changes of the keys filter matches, from startOffset (0: from
     * now), in log order (docs/watch.md). listener is called, on the watch thread, whenever the
     * watch has something to take or ended; it must only schedule the door's work.
     */
    default Reply<Watch> watch(ChangeFilter filter, long startOffset, boolean allowStale, Runnable listener) {
        return Reply.failure(ErrorCode.UNAVAILABLE, "this node serves no watches");
    }
}
