package dev.pbkv.server.command;

import dev.pbkv.server.auth.Access;
import dev.pbkv.server.auth.Principal;
import dev.pbkv.server.command.watch.ChangeFilter;
import dev.pbkv.server.command.watch.Watch;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.function.Consumer;
import java.util.function.Supplier;

/**
 * The command layer as one caller may use it: the one place that says which access each command
 * needs (read: reads, scans, dumps, status; write: writes; admin: promote, shutdown, backup). A refused
 * call never reaches the delegate, so it is "refused, not applied".
 */
final class AuthorizedCommands implements Commands {
    private final Commands delegate;
    private final Principal caller;

    AuthorizedCommands(Commands delegate, Principal caller) {
        this.delegate = delegate;
        this.caller = caller;
    }

    private <T> CompletableFuture<Reply<T>> needs(
            Access access, String command, Supplier<CompletableFuture<Reply<T>>> call) {
        if (caller.may(access)) {
            return call.get();
        }
        return CompletableFuture.completedFuture(Reply.failure(
                ErrorCode.PERMISSION_DENIED,
                "user '" + caller.user() + "' has " + caller.access() + " access; " + command + " needs " + access
                        + " (refused, not applied)"));
    }

    @Override
    public CompletableFuture<Reply<byte[]>> get(byte[] key, boolean allowStale) {
        return needs(Access.READ, "get", () -> delegate.get(key, allowStale));
    }

    @Override
    public CompletableFuture<Reply<WriteAck>> insert(byte[] key, byte[] value, WriteTag tag) {
        return needs(Access.WRITE, "insert", () -> delegate.insert(key, value, tag));
    }

    @Override
    public CompletableFuture<Reply<WriteAck>> update(byte[] key, byte[] value, WriteTag tag) {
        return needs(Access.WRITE, "update", () -> delegate.update(key, value, tag));
    }

    @Override
    public CompletableFuture<Reply<WriteAck>> put(byte[] key, byte[] value, WriteTag tag) {
        return needs(Access.WRITE, "put", () -> delegate.put(key, value, tag));
    }

    @Override
    public CompletableFuture<Reply<WriteAck>> delete(byte[] key, WriteTag tag) {
        return needs(Access.WRITE, "delete", () -> delegate.delete(key, tag));
    }

    @Override
    public CompletableFuture<Reply<Boolean>> exists(byte[] key, boolean allowStale) {
        return needs(Access.READ, "exists", () -> delegate.exists(key, allowStale));
    }

    @Override
    public CompletableFuture<Reply<Long>> count(boolean allowStale) {
        return needs(Access.READ, "count", () -> delegate.count(allowStale));
    }

    @Override
    public CompletableFuture<Reply<List<KeyValue>>> scan(
            byte[] prefix, byte[] startAfter, int limit, boolean allowStale) {
        return needs(Access.READ, "scan", () -> delegate.scan(prefix, startAfter, limit, allowStale));
    }

    @Override
    public CompletableFuture<Reply<Void>> dump(boolean allowStale, Consumer<List<KeyValue>> pageSink) {
        return needs(Access.READ, "dump", () -> delegate.dump(allowStale, pageSink));
    }

    @Override
    public CompletableFuture<Reply<WriteAck>> insert(byte[] key, byte[] value, Expiry expiry, WriteTag tag) {
        return needs(Access.WRITE, "insert", () -> delegate.insert(key, value, expiry, tag));
    }

    @Override
    public CompletableFuture<Reply<WriteAck>> update(byte[] key, byte[] value, Expiry expiry, WriteTag tag) {
        return needs(Access.WRITE, "update", () -> delegate.update(key, value, expiry, tag));
    }

    @Override
    public CompletableFuture<Reply<WriteAck>> put(byte[] key, byte[] value, Expiry expiry, WriteTag tag) {
        return needs(Access.WRITE, "put", () -> delegate.put(key, value, expiry, tag));
    }

    @Override
    public CompletableFuture<Reply<Boolean>> expire(byte[] key, Expiry expiry) {
        return needs(Access.WRITE, "expire", () -> delegate.expire(key, expiry));
    }

    @Override
    public CompletableFuture<Reply<byte[]>> setReturningPrevious(
            byte[] key, byte[] value, Expiry expiry, SetMode mode) {
        // A write that also reads: write access includes read.
        return needs(Access.WRITE, "set", () -> delegate.setReturningPrevious(key, value, expiry, mode));
    }

    @Override
    public CompletableFuture<Reply<Boolean>> expire(byte[] key, Expiry expiry, ExpireCondition condition) {
        return needs(Access.WRITE, "expire", () -> delegate.expire(key, expiry, condition));
    }

    @Override
    public CompletableFuture<Reply<KeyTtl>> ttl(byte[] key, boolean allowStale) {
        return needs(Access.READ, "ttl", () -> delegate.ttl(key, allowStale));
    }

    @Override
    public Reply<Watch> watch(ChangeFilter filter, long startOffset, boolean allowStale, Runnable listener) {
        return caller.may(Access.READ)
                ? delegate.watch(filter, startOffset, allowStale, listener)
                : Reply.failure(ErrorCode.PERMISSION_DENIED, "user '" + caller.user() + "' may not watch");
    }

    @Override
    public CompletableFuture<Reply<BatchAck>> batch(List<BatchStep> steps, WriteTag tag) {
        return needs(Access.WRITE, "batch", () -> delegate.batch(steps, tag));
    }

    @Override
    public CompletableFuture<Reply<List<byte[]>>> getMany(List<byte[]> keys, boolean allowStale) {
        return needs(Access.READ, "mget", () -> delegate.getMany(keys, allowStale));
    }

    @Override
    public CompletableFuture<Reply<byte[]>> deleteReturning(byte[] key, WriteTag tag) {
        return needs(Access.WRITE, "delete", () -> delegate.deleteReturning(key, tag));
    }

    /** Every authenticated user may see the node's status (the read level is the lowest there is). */
    @Override
    public NodeStatus status() {
        return delegate.status();
    }

    @Override
    public CompletableFuture<Reply<Long>> promote(boolean force) {
        return needs(Access.ADMIN, "promote", () -> delegate.promote(force));
    }

    @Override
    public CompletableFuture<Reply<Boolean>> shutdown(boolean skipSwitchover) {
        return needs(Access.ADMIN, "shutdown", () -> delegate.shutdown(skipSwitchover));
    }

    @Override
    public CompletableFuture<Reply<BackupAck>> backup(String name) {
        return needs(Access.ADMIN, "backup", () -> delegate.backup(name));
    }

    /** As status: what any authenticated user may see. */
    @Override
    public long lastBackupSeconds() {
        return delegate.lastBackupSeconds();
    }

    @Override
    public Commands as(Principal other) {
        return delegate.as(other);
    }

    @Override
    public boolean expectLogWrite() {
        return delegate.expectLogWrite();
    }

    @Override
    public void writeExpectedLog() {
        delegate.writeExpectedLog();
    }

    @Override
    public boolean authenticationRequired() {
        return delegate.authenticationRequired();
    }

    @Override
    public CompletableFuture<java.util.Optional<Principal>> authenticate(String user, byte[] password) {
        return delegate.authenticate(user, password);
    }

    @Override
    public long authenticationFailures() {
        return delegate.authenticationFailures();
    }
}
