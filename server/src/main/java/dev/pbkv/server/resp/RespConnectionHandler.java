package dev.pbkv.server.resp;

import dev.pbkv.server.command.BackupAck;
import dev.pbkv.server.command.Commands;
import dev.pbkv.server.command.ErrorCode;
import dev.pbkv.server.command.Expiry;
import dev.pbkv.server.command.KeyTtl;
import dev.pbkv.server.command.Reply;
import dev.pbkv.server.command.SetMode;
import dev.pbkv.server.command.WriteAck;
import dev.pbkv.server.command.WriteTag;
import dev.pbkv.server.net.ConnectionGuard;
import dev.pbkv.server.net.ListeningDoor;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.util.ReferenceCountUtil;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One connection's requests: dispatches each to the command layer and writes the answers back
 * in request order.
 *
 * <p>Order: the command layer answers with futures that may complete out of order (a GET before
 * a slow SET). A reply whose future is done and has nothing queued before it is written at once;
 * otherwise it joins {@link #pending}, and whenever a future completes, the done replies at the
 * head of the queue are written. So replies leave in request order whatever the completion order.
 *
 * <p>Batching: replies are gathered into one buffer and flushed once per read burst
 * (channelReadComplete), or once per burst of completions arriving from other threads (one drain
 * task queued at a time), which is what lets pipelined clients go fast. A batch is handed to the
 * channel (unflushed) every {@link #BATCH_SLICE_BYTES}, so the connection's {@link ConnectionGuard}
 * counts it against the output limits while the burst goes on.
 *
 * <p>Backpressure: every command read is reported to the guard, and every reply written
 * (to the channel, or to the batch on its way there) is reported answered; the guard stops
 * reading at limits.max-inflight-per-connection and while the output is over its high-water
 * mark. Commands already decoded when the in-flight bound is reached wait in {@link #held} and
 * run as earlier ones are answered, so no more than the bound reach the command layer at once.
 * Those decoded while the output is over its mark still run; past the hard limit the guard closes
 * the connection, and what is decoded after that is dropped.
 *
 * <p>Threads: everything here runs on the connection's event loop except {@link #onCompleted},
 * which only schedules a drain there.
 */
final class RespConnectionHandler extends ChannelInboundHandlerAdapter {

    private static final Logger LOG = LoggerFactory.getLogger(RespConnectionHandler.class);

    /** A reply batch this large goes to the channel at once instead of at the end of the burst. */
    private static final int BATCH_SLICE_BYTES = 64 * 1024;

    /** Changes turned into pub/sub messages per poll of the subscriptions. */
    private static final int MESSAGES_PER_PASS = 256;

    private static final CompletableFuture<Void> DONE = CompletableFuture.completedFuture(null);

    /** Writes one reply for a completed result; answers whether it was a success (for metrics). */
    @FunctionalInterface
    interface ReplyEncoder<T> {
        boolean encode(T result, ByteBuf out);
    }

    /** A reply waiting for its future, in request order. */
    private record Pending(
            CompletableFuture<Object> future,
            ReplyEncoder<Object> encoder,
            RespCommand command,
            long startNanos,
            boolean closeAfter) {}

    /** Non-null between MULTI and EXEC or DISCARD; event loop only. */
    private RespTransaction transaction;

    private final RespDoor door;
    /**
     * The command layer as this connection's user may use it; before AUTH on a node that requires
     * it, the unrestricted layer, which only AUTH and HELLO reach. Event loop only.
     */
    private Commands commands;
    /** AUTH succeeded, or the node requires none. Event loop only. */
    private boolean authenticated;
    /**
     * An AUTH is being checked: what is read meanwhile waits in {@link #held}, so a pipelined
     * command after AUTH runs as the user AUTH proves, as in Redis. Event loop only.
     */
    private boolean authenticating;

    private final long clientId;
    private final Runnable drainTask = this::drainFromTask;

    private ChannelHandlerContext ctx;
    private ConnectionGuard guard;
    /** Replies gathered for the next flush, or null; event loop only. */
    private ByteBuf out;
    /** Slices of the batch were written to the channel and not flushed yet; event loop only. */
    private boolean unflushed;
    /** Replies whose futures were not done (or had others before them), in request order; event loop only. */
    private final ArrayDeque<Pending> pending = new ArrayDeque<>();
    /**
     * Decoded messages (RespRequest, RespProtocolError: plain arrays, nothing to release) read
     * while the in-flight bound was reached, in order; event loop only.
     */
    private final ArrayDeque<Object> held = new ArrayDeque<>();
    /** Inside runHeld: a reply completing inline must not start a second, nested pass. Event loop only. */
    private boolean runningHeld;
    /** pending.size() for other threads (the door's close grace); written on the event loop only. */
    private volatile int pendingCount;
    /** Inside channelRead..channelReadComplete: the flush waits for the end of the burst. Event loop only. */
    private boolean reading;
    /** A reply that ends the connection (QUIT, a protocol error) was written; ignore what follows. Event loop only. */
    private boolean closing;
    /** The channel is gone; late completions are dropped. Event loop only. */
    private boolean inactive;
    /** Whether a drain task is queued on the event loop; set by completing threads, cleared by the task. */
    private final AtomicBoolean drainScheduled = new AtomicBoolean();
    /** READONLY was sent: reads may be served from a backup's own copy. Event loop only. */
    private boolean allowStale;
    /** CLIENT SETNAME's name, or null; event loop only. */
    private String clientName;
    /** SUBSCRIBE and PSUBSCRIBE state; event loop only, except the watch's news callback. */
    private final RespSubscriptions subscriptions;
    /** Whether a pass over the subscriptions' messages is queued on the event loop. */
    private final AtomicBoolean messagesScheduled = new AtomicBoolean();

    RespConnectionHandler(RespDoor door) {
        this.door = door;
        this.commands = door.commands();
        this.authenticated = !commands.authenticationRequired();
        this.clientId = door.clientIds.incrementAndGet();
        this.subscriptions = new RespSubscriptions(() -> commands, this::onMessages);
    }

    boolean hasRepliesPending() {
        return pendingCount > 0;
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        this.ctx = ctx;
        this.guard = ConnectionGuard.of(ctx.channel());
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        reading = true;
        try {
            if (closing || !ctx.channel().isActive()) {
                return; // after QUIT, or closed by the output hard limit: what follows is dropped
            }
            if (!held.isEmpty() || guard.atInflightBound() || authenticating) {
                held.add(msg); // the guard stopped reading (or AUTH is pending); decoded from the same read
            } else {
                handle(msg);
            }
        } finally {
            ReferenceCountUtil.release(msg);
        }
    }

    private void handle(Object msg) {
        if (msg instanceof RespRequest request) {
            door.commandsProcessed.increment();
            dispatch(request.args(), request.inline());
        } else if (msg instanceof RespProtocolError error) {
            immediate(null, error.close(), (v, o) -> {
                RespWriter.error(o, error.message());
                return false;
            });
        }
    }

    /** Runs held commands, in order, while the in-flight bound allows. */
    private void runHeld() {
        if (runningHeld) {
            return;
        }
        runningHeld = true;
        try {
            while (!held.isEmpty()
                    && !guard.atInflightBound()
                    && !authenticating
                    && !closing
                    && ctx.channel().isActive()) {
                handle(held.poll());
            }
        } finally {
            runningHeld = false;
        }
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
        reading = false;
        flushOut();
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        inactive = true;
        subscriptions.close();
        pending.clear();
        held.clear();
        pendingCount = 0;
        if (out != null) {
            out.release();
            out = null;
        }
        ctx.fireChannelInactive();
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        ListeningDoor.closeFailedConnection("resp", ctx, cause);
    }

    // ---- dispatch -------------------------------------------------------------------------------

    private void dispatch(byte[][] args, boolean inline) {
        RespCommand command = RespCommand.lookup(args[0]);
        if (command == null) {
            String name = new String(args[0], StandardCharsets.UTF_8);
            if (transaction != null) {
                transaction.abort();
            }
            refuse(null, unknownCommand(name, args));
            return;
        }
        if (!command.arityAccepts(args.length)) {
            if (transaction != null) {
                transaction.abort();
            }
            refuse(command, RespErrors.wrongArity(command.lowerName));
            return;
        }
        if (!authenticated && !command.allowedBeforeAuth()) {
            refuse(command, RespErrors.NOAUTH);
            return;
        }
        if (command.write) {
            door.turnLogWrites().beforeWrite(ctx.executor());
        }
        if (subscriptions.active() && !RespSubscriptions.allowedWhileSubscribed(command)) {
            refuse(command, RespSubscriptions.notAllowedWhileSubscribed(command));
            return;
        }
        if (transaction != null && !isTransactionControl(command)) {
            String refused = transaction.queue(command, args);
            if (refused != null) {
                refuse(command, refused);
            } else {
                immediate(command, false, (v, o) -> {
                    RespWriter.simple(o, "QUEUED");
                    return true;
                });
            }
            return;
        }
        long start = System.nanoTime();
        switch (command) {
            case GET -> reply(commands.get(args[1], allowStale), command, start, false, RespReplies::encodeGet);
            case SET -> set(args, start);
            case PUT ->
                reply(commands.put(args[1], args[2], WriteTag.NONE), command, start, false, RespReplies::encodeWriteOk);
            case DEL, DELETE -> delete(args, command, start);
            case EXISTS -> exists(args, start);
            case DBSIZE, COUNT -> reply(commands.count(allowStale), command, start, false, RespReplies::encodeInteger);
            case MGET -> mget(args, start);
            case MSET -> mset(args, start);
            case PING ->
                immediate(command, false, (v, o) -> {
                    if (args.length <= 2 && subscriptions.active()) {
                        RespSubscriptions.ping(args, o);
                        return true;
                    }
                    if (args.length > 2) {
                        RespWriter.error(o, RespErrors.wrongArity("ping"));
                        return false;
                    }
                    if (args.length == 2) {
                        RespWriter.bulk(o, args[1]);
                    } else {
                        RespWriter.simple(o, "PONG");
                    }
                    return true;
                });
            case ECHO ->
                immediate(command, false, (v, o) -> {
                    RespWriter.bulk(o, args[1]);
                    return true;
                });
            case INFO ->
                immediate(command, false, (v, o) -> {
                    var status = commands.status();
                    StringBuilder text =
                            new StringBuilder(args.length > 1 ? "" : RespInfo.render(door, status, "default"));
                    for (int i = 1; i < args.length; i++) {
                        text.append(RespInfo.render(door, status, ascii(args[i])));
                    }
                    RespWriter.bulk(o, text.toString());
                    return true;
                });
            case COMMAND -> immediate(command, false, (v, o) -> RespIntrospection.command(args, o));
            case CONFIG -> immediate(command, false, (v, o) -> RespIntrospection.config(args, o));
            case HELLO -> hello(args, start);
            case AUTH -> auth(args, start);
            case CLIENT -> immediate(command, false, (v, o) -> client(args, o));
            case SELECT ->
                immediate(command, false, (v, o) -> {
                    if (ascii(args[1]).equals("0")) {
                        RespWriter.ok(o);
                        return true;
                    }
                    RespWriter.error(o, "ERR DB index is out of range (pbkv has only database 0)");
                    return false;
                });
            case READONLY, READWRITE ->
                immediate(command, false, (v, o) -> {
                    allowStale = command == RespCommand.READONLY;
                    RespWriter.ok(o);
                    return true;
                });
            case QUIT, END ->
                immediate(command, true, (v, o) -> {
                    RespWriter.ok(o);
                    return true;
                });
            case SHUTDOWN -> shutdown(args, start);
            case EXPIRE, PEXPIRE, EXPIREAT, PEXPIREAT -> expire(args, command, start);
            case TTL, PTTL -> ttl(args, command, start);
            case PERSIST ->
                reply(
                        commands.expire(args[1], Expiry.PERSIST),
                        command,
                        start,
                        false,
                        (r, o) -> encodeExpire(r, o, command));
            case SUBSCRIBE, PSUBSCRIBE, UNSUBSCRIBE, PUNSUBSCRIBE ->
                immediate(command, false, (v, o) -> subscriptions.handle(command, args, allowStale, o));
            case MSETNX -> msetnx(args, start);
            case BGSAVE -> bgsave(args, start);
            case SAVE -> reply(commands.backup(""), command, start, false, RespReplies::encodeBackupOk);
            case LASTSAVE ->
                immediate(command, false, (v, o) -> {
                    RespWriter.integer(o, commands.lastBackupSeconds());
                    return true;
                });
            case MULTI, EXEC, DISCARD -> transactionControl(command, start);
            default -> throw new IllegalStateException("no dispatch for " + command);
        }
    }

    private void set(byte[][] args, long start) {
        RespExpiryArgs.SetOptions options = RespExpiryArgs.set(args);
        if (options.error() != null) {
            refuse(RespCommand.SET, options.error());
        } else if (options.get()) {
            SetMode mode = options.nx() ? SetMode.INSERT : options.xx() ? SetMode.UPDATE : SetMode.PUT;
            reply(
                    commands.setReturningPrevious(args[1], args[2], options.expiry(), mode),
                    RespCommand.SET,
                    start,
                    false,
                    RespReplies::encodeOldValue);
        } else if (options.nx()) {
            reply(
                    commands.insert(args[1], args[2], options.expiry(), WriteTag.NONE),
                    RespCommand.SET,
                    start,
                    false,
                    (r, o) -> RespReplies.encodeConditionalWrite(r, o, ErrorCode.ALREADY_EXISTS));
        } else if (options.xx()) {
            reply(
                    commands.update(args[1], args[2], options.expiry(), WriteTag.NONE),
                    RespCommand.SET,
                    start,
                    false,
                    (r, o) -> RespReplies.encodeConditionalWrite(r, o, ErrorCode.NOT_FOUND));
        } else {
            reply(
                    commands.put(args[1], args[2], options.expiry(), WriteTag.NONE),
                    RespCommand.SET,
                    start,
                    false,
                    RespReplies::encodeWriteOk);
        }
    }

    private void expire(byte[][] args, RespCommand command, long start) {
        boolean seconds = command == RespCommand.EXPIRE || command == RespCommand.EXPIREAT;
        boolean absolute = command == RespCommand.EXPIREAT || command == RespCommand.PEXPIREAT;
        RespExpiryArgs.ExpireArgs parsed = RespExpiryArgs.expire(args, command.lowerName, seconds, absolute);
        if (parsed.error() != null) {
            refuse(command, parsed.error());
            return;
        }
        reply(
                commands.expire(args[1], parsed.expiry(), parsed.condition()),
                command,
                start,
                false,
                (r, o) -> encodeExpire(r, o, command));
    }

    private static boolean encodeExpire(Reply<Boolean> r, ByteBuf o, RespCommand command) {
        if (r instanceof Reply.Success<Boolean> s) {
            RespWriter.integer(o, Boolean.TRUE.equals(s.value()) ? 1 : 0);
            return true;
        }
        Reply.Failure<Boolean> f = (Reply.Failure<Boolean>) r;
        RespWriter.error(
                o,
                f.code() == ErrorCode.INVALID_ARGUMENT && f.message().startsWith("invalid expire time")
                        ? RespExpiryArgs.invalidExpireTime(command.lowerName)
                        : RespErrors.toErrorLine(f, true));
        return false;
    }

    private void ttl(byte[][] args, RespCommand command, long start) {
        boolean millis = command == RespCommand.PTTL;
        reply(commands.ttl(args[1], allowStale), command, start, false, (r, o) -> {
            if (r instanceof Reply.Failure<KeyTtl> f) {
                RespWriter.error(o, RespErrors.toErrorLine(f, false));
                return false;
            }
            KeyTtl t = ((Reply.Success<KeyTtl>) r).value();
            long remaining = t.remainingMillis();
            // Redis rounds TTL to the nearest second; -1 and -2 stay as they are.
            RespWriter.integer(o, remaining < 0 || millis ? remaining : (remaining + 500) / 1000);
            return true;
        });
    }

    private static boolean isTransactionControl(RespCommand command) {
        return command == RespCommand.MULTI
                || command == RespCommand.EXEC
                || command == RespCommand.DISCARD
                || command == RespCommand.QUIT;
    }

    /** MULTI, EXEC and DISCARD; EXEC runs the queued commands as one batch (docs/resp.md). */
    private void transactionControl(RespCommand command, long start) {
        RespTransaction t = transaction;
        if (command == RespCommand.MULTI) {
            if (t != null) {
                refuse(command, "ERR MULTI calls can not be nested");
                return;
            }
            transaction = new RespTransaction();
            immediate(command, false, (v, o) -> {
                RespWriter.ok(o);
                return true;
            });
            return;
        }
        if (t == null) {
            refuse(command, "ERR " + command.name() + " without MULTI");
            return;
        }
        transaction = null;
        if (command == RespCommand.DISCARD) {
            immediate(command, false, (v, o) -> {
                RespWriter.ok(o);
                return true;
            });
        } else if (t.aborted()) {
            refuse(command, RespTransaction.EXECABORT);
        } else if (t.parts().isEmpty()) {
            immediate(command, false, (v, o) -> {
                RespWriter.arrayHeader(o, 0);
                return true;
            });
        } else {
            List<RespBatches.Part> parts = t.parts();
            reply(
                    commands.batch(RespBatches.stepsOf(parts), WriteTag.NONE),
                    command,
                    start,
                    false,
                    (r, o) -> RespBatches.encodeExec(parts, r, o));
        }
    }

    private void msetnx(byte[][] args, long start) {
        if ((args.length - 1) % 2 != 0) {
            refuse(RespCommand.MSETNX, RespErrors.wrongArity("msetnx"));
            return;
        }
        reply(
                commands.batch(RespBatches.msetnxSteps(args), WriteTag.NONE),
                RespCommand.MSETNX,
                start,
                false,
                RespBatches::encodeMsetnx);
    }

    private void delete(byte[][] args, RespCommand command, long start) {
        if (args.length == 2) {
            reply(commands.delete(args[1], WriteTag.NONE), command, start, false, RespReplies::encodeDeleted);
            return;
        }
        if (args.length > 2) {
            // Several keys: one atomic batch (docs/batches.md).
            RespBatches.Part part = RespBatches.partOf(command, args);
            reply(
                    commands.batch(part.steps(), WriteTag.NONE),
                    command,
                    start,
                    false,
                    (r, o) -> RespBatches.encode(part, r, o));
            return;
        }
        @SuppressWarnings("unchecked")
        CompletableFuture<Reply<WriteAck>>[] parts = new CompletableFuture[args.length - 1];
        for (int i = 1; i < args.length; i++) {
            parts[i - 1] = commands.delete(args[i], WriteTag.NONE);
        }
        reply(CompletableFuture.allOf(parts), command, start, false, (v, o) -> {
            long deleted = 0;
            for (CompletableFuture<Reply<WriteAck>> part : parts) {
                Reply<WriteAck> r = part.join();
                if (r instanceof Reply.Success) {
                    deleted++;
                } else if (r instanceof Reply.Failure<WriteAck> f && f.code() != ErrorCode.NOT_FOUND) {
                    RespWriter.error(o, RespErrors.toErrorLine(f, true));
                    return false;
                }
            }
            RespWriter.integer(o, deleted);
            return true;
        });
    }

    private void exists(byte[][] args, long start) {
        @SuppressWarnings("unchecked")
        CompletableFuture<Reply<Boolean>>[] parts = new CompletableFuture[args.length - 1];
        for (int i = 1; i < args.length; i++) {
            parts[i - 1] = commands.exists(args[i], allowStale);
        }
        reply(
                parts.length == 1 ? parts[0].thenApply(r -> (Void) null) : CompletableFuture.allOf(parts),
                RespCommand.EXISTS,
                start,
                false,
                (v, o) -> {
                    long present = 0;
                    for (CompletableFuture<Reply<Boolean>> part : parts) {
                        Reply<Boolean> r = part.join();
                        if (r instanceof Reply.Success<Boolean> s) {
                            present += Boolean.TRUE.equals(s.value()) ? 1 : 0;
                        } else if (r instanceof Reply.Failure<Boolean> f && f.code() != ErrorCode.NOT_FOUND) {
                            RespWriter.error(o, RespErrors.toErrorLine(f, false));
                            return false;
                        }
                    }
                    RespWriter.integer(o, present);
                    return true;
                });
    }

    private void mget(byte[][] args, long start) {
        List<byte[]> keys = java.util.Arrays.asList(args).subList(1, args.length);
        reply(commands.getMany(keys, allowStale), RespCommand.MGET, start, false, (r, o) -> {
            if (r instanceof Reply.Failure<List<byte[]>> f) {
                RespWriter.error(o, RespErrors.toErrorLine(f, false));
                return false;
            }
            List<byte[]> values = ((Reply.Success<List<byte[]>>) r).value();
            RespWriter.arrayHeader(o, values.size());
            for (byte[] v : values) {
                RespWriter.bulk(o, v);
            }
            return true;
        });
    }

    private void mset(byte[][] args, long start) {
        if ((args.length - 1) % 2 != 0) {
            refuse(RespCommand.MSET, RespErrors.wrongArity("mset"));
            return;
        }
        // One atomic batch (docs/batches.md).
        RespBatches.Part part = RespBatches.partOf(RespCommand.MSET, args);
        reply(
                commands.batch(part.steps(), WriteTag.NONE),
                RespCommand.MSET,
                start,
                false,
                (r, o) -> RespBatches.encode(part, r, o));
    }

    /** AUTH [user] password: the user "default" when no name is given, as Redis. */
    private void auth(byte[][] args, long start) {
        if (args.length > 3) {
            refuse(RespCommand.AUTH, RespErrors.SYNTAX);
            return;
        }
        if (!commands.authenticationRequired()) {
            refuse(
                    RespCommand.AUTH,
                    "ERR AUTH <password> called without any password configured for the default user. Are you sure"
                            + " your configuration is correct? (pbkv: auth.users is empty)");
            return;
        }
        String user = args.length == 3 ? new String(args[1], StandardCharsets.UTF_8) : "default";
        authenticateThen(user, args[args.length - 1], RespCommand.AUTH, start, o -> {
            RespWriter.ok(o);
            return true;
        });
    }

    /** HELLO [protover [AUTH user password] [SETNAME name]]. */
    private void hello(byte[][] args, long start) {
        int authAt = -1;
        String name = null;
        for (int i = 2; i < args.length; i++) {
            if (RespCommand.is(args[i], "AUTH") && i + 2 < args.length) {
                authAt = i;
                i += 2;
            } else if (RespCommand.is(args[i], "SETNAME") && i + 1 < args.length) {
                name = new String(args[++i], StandardCharsets.UTF_8);
            } else {
                refuse(RespCommand.HELLO, "ERR Syntax error in HELLO option '" + ascii(args[i]) + "'");
                return;
            }
        }
        String setName = name;
        ReplyEncoder<Void> answer = (v, o) -> {
            boolean ok = RespIntrospection.hello(args, o, clientId, commands.status());
            if (ok && setName != null) {
                clientName = setName.isEmpty() ? null : setName;
            }
            return ok;
        };
        if (authAt < 0) {
            if (!authenticated) {
                refuse(
                        RespCommand.HELLO,
                        "NOAUTH HELLO must be called with the client already authenticated, otherwise the HELLO"
                                + " <proto> AUTH <user> <pass> option can be used to authenticate the client and"
                                + " select the RESP protocol version at the same time");
                return;
            }
            immediate(RespCommand.HELLO, false, answer);
            return;
        }
        if (!commands.authenticationRequired()) {
            refuse(RespCommand.HELLO, "ERR HELLO AUTH called without any users configured (pbkv: auth.users is empty)");
            return;
        }
        authenticateThen(
                new String(args[authAt + 1], StandardCharsets.UTF_8),
                args[authAt + 2],
                RespCommand.HELLO,
                start,
                o -> answer.encode(null, o));
    }

    /**
     * Checks credentials; on a match this connection becomes that user's and onSuccess answers,
     * otherwise WRONGPASS. Commands read meanwhile wait, so they run as the outcome decides.
     */
    private void authenticateThen(
            String user,
            byte[] password,
            RespCommand command,
            long start,
            java.util.function.Predicate<ByteBuf> onSuccess) {
        authenticating = true;
        reply(door.commands().authenticate(user, password), command, start, false, (found, o) -> {
            authenticating = false; // held commands run once this reply is written (drain, runHeld)
            if (found.isEmpty()) {
                LOG.info(
                        "RESP: failed authentication as '{}' from {}",
                        user,
                        ctx.channel().remoteAddress());
                RespWriter.error(o, RespErrors.WRONGPASS);
                return false;
            }
            commands = door.commands().as(found.get());
            authenticated = true;
            return onSuccess.test(o);
        });
    }

    /**
     * BGSAVE [SCHEDULE]: starts a backup and answers at once, as Redis; a refusal known at once
     * (not the primary, no admin access, backup.max-concurrent reached) is the error instead. The
     * outcome is logged and seen in LASTSAVE.
     */
    private void bgsave(byte[][] args, long start) {
        if (args.length > 2 || (args.length == 2 && !RespCommand.is(args[1], "SCHEDULE"))) {
            refuse(RespCommand.BGSAVE, "ERR syntax error (BGSAVE [SCHEDULE])");
            return;
        }
        CompletableFuture<Reply<BackupAck>> backup = commands.backup("");
        Reply<BackupAck> early = backup.isDone() ? backup.join() : null;
        if (early instanceof Reply.Failure<BackupAck> f) {
            refuse(RespCommand.BGSAVE, RespReplies.backupErrorLine(f));
            return;
        }
        backup.whenComplete((r, t) -> {
            if (r instanceof Reply.Failure<BackupAck> f) {
                LOG.warn("BGSAVE from {} failed: {}", ctx.channel().remoteAddress(), f.message());
            } else if (t != null) {
                LOG.warn("BGSAVE from {} failed: {}", ctx.channel().remoteAddress(), t.toString());
            }
        });
        immediate(RespCommand.BGSAVE, false, (v, o) -> {
            RespWriter.simple(o, "Background saving started");
            return true;
        });
    }

    private void shutdown(byte[][] args, long start) {
        for (int i = 1; i < args.length; i++) {
            if (RespCommand.is(args[i], "ABORT")) {
                refuse(RespCommand.SHUTDOWN, "ERR SHUTDOWN ABORT is not supported by pbkv");
                return;
            }
            // NOSAVE, SAVE, NOW and FORCE change nothing: pbkv always flushes its log on the way down.
        }
        LOG.info("SHUTDOWN requested over RESP by {}", ctx.channel().remoteAddress());
        // As Redis does, a successful SHUTDOWN answers nothing: the connection just closes.
        reply(commands.shutdown(false), RespCommand.SHUTDOWN, start, false, (r, o) -> {
            if (r instanceof Reply.Failure<Boolean> f) {
                RespWriter.error(o, RespErrors.toErrorLine(f, false));
                return false;
            }
            closing = true;
            return true;
        });
    }

    private boolean client(byte[][] args, ByteBuf o) {
        String sub = ascii(args[1]).toUpperCase(java.util.Locale.ROOT);
        switch (sub) {
            case "SETNAME" -> {
                if (args.length != 3) {
                    RespWriter.error(o, RespErrors.wrongArity("client|setname"));
                    return false;
                }
                String name = new String(args[2], StandardCharsets.UTF_8);
                if (name.chars().anyMatch(c -> c <= ' ' || c > '~')) {
                    RespWriter.error(o, "ERR Client names cannot contain spaces, newlines or special characters.");
                    return false;
                }
                clientName = name.isEmpty() ? null : name;
                RespWriter.ok(o);
            }
            case "GETNAME" -> RespWriter.bulk(o, clientName);
            case "ID" -> RespWriter.integer(o, clientId);
            case "SETINFO", "NO-EVICT", "NO-TOUCH", "REPLY" -> RespWriter.ok(o);
            case "INFO", "LIST" -> {
                String line = "id=" + clientId + " addr=" + ctx.channel().remoteAddress() + " laddr="
                        + ctx.channel().localAddress() + " name=" + (clientName == null ? "" : clientName)
                        + " db=0 resp=2\n";
                RespWriter.bulk(o, line);
            }
            default -> {
                RespWriter.error(
                        o,
                        "ERR unknown subcommand '" + sub + "'. Try CLIENT SETNAME, GETNAME, ID, INFO, LIST, SETINFO.");
                return false;
            }
        }
        return true;
    }

    // ---- ordering and flushing ------------------------------------------------------------------

    /** Answers an error line at once, in request order, without calling the command layer. */
    private void refuse(RespCommand command, String errorLine) {
        immediate(command, false, (v, o) -> {
            RespWriter.error(o, errorLine);
            return false;
        });
    }

    private void immediate(RespCommand command, boolean closeAfter, ReplyEncoder<Void> encoder) {
        reply(DONE, command, System.nanoTime(), closeAfter, encoder);
    }

    @SuppressWarnings("unchecked")
    private <T> void reply(
            CompletableFuture<T> future,
            RespCommand command,
            long start,
            boolean closeAfter,
            ReplyEncoder<? super T> encoder) {
        // Every reply() ends in exactly one write(), which reports it answered.
        guard.requestRead();
        if (pending.isEmpty() && future.isDone()) {
            write(
                    (CompletableFuture<Object>) (CompletableFuture<?>) future,
                    (ReplyEncoder<Object>) encoder,
                    command,
                    start,
                    closeAfter);
            return;
        }
        pending.add(new Pending(
                (CompletableFuture<Object>) (CompletableFuture<?>) future,
                (ReplyEncoder<Object>) encoder,
                command,
                start,
                closeAfter));
        pendingCount = pending.size();
        // Always register, even if the future is done by now: it may have completed (on the log
        // thread) after the isDone() check above, and then nothing else would drain it; on a done
        // future whenComplete runs onCompleted here, on the event loop, and the reply goes out at
        // channelReadComplete. (Skipping this left replies queued forever: redis-benchmark -P 1 hung.)
        future.whenComplete((r, e) -> onCompleted());
    }

    /**
     * Any thread: a queued future completed; make the event loop write what is ready. While the
     * loop reads, at once (channelReadComplete flushes); otherwise in a task, so the many answers
     * one log batch completes in a row (on this loop, under fsync no) go out in one flush, not one
     * system call each.
     */
    private void onCompleted() {
        if (ctx.executor().inEventLoop() && reading) {
            drain();
        } else if (drainScheduled.compareAndSet(false, true)) {
            ctx.executor().execute(drainTask);
        }
    }

    private void drainFromTask() {
        drainScheduled.set(false);
        drain();
    }

    private void drain() {
        if (inactive) {
            return;
        }
        Pending head;
        while ((head = pending.peek()) != null && head.future().isDone()) {
            pending.poll();
            write(head.future(), head.encoder(), head.command(), head.startNanos(), head.closeAfter());
        }
        runHeld(); // answers above may have made room under the in-flight bound
        pendingCount = pending.size();
        writeMessages();
        if (!reading) {
            flushOut();
        }
    }

    // ---- pub/sub messages ---------------------------------------------------------------------------

    /** Watch thread: the subscriptions have messages (or ended); make the event loop write them. */
    private void onMessages() {
        if (messagesScheduled.compareAndSet(false, true)) {
            ctx.executor().execute(() -> {
                messagesScheduled.set(false);
                writeMessages();
                if (!reading) {
                    flushOut();
                }
            });
        }
    }

    /**
     * Writes the messages the subscriptions have ready, while the channel is writable and no reply
     * waits before them (replies keep their order; drain() calls this again once they are out). A
     * subscriber that fell behind is closed, as Redis closes one past its pubsub output limit.
     */
    private void writeMessages() {
        if (inactive || closing || !pending.isEmpty()) {
            return;
        }
        while (ctx.channel().isWritable()) {
            if (out == null) {
                out = ctx.alloc().ioBuffer(256);
            }
            if (subscriptions.poll(out, MESSAGES_PER_PASS) == 0) {
                break;
            }
            if (out.readableBytes() >= BATCH_SLICE_BYTES) {
                ByteBuf slice = out;
                out = null;
                unflushed = true;
                ctx.write(slice, ctx.voidPromise());
            }
        }
        Reply.Failure<Void> end = subscriptions.endedWith();
        if (end != null) {
            LOG.warn("closing RESP subscriber {}: {}", ctx.channel().remoteAddress(), end.message());
            subscriptions.close();
            closing = true;
            flushOut();
        }
    }

    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) {
        if (ctx.channel().isWritable()) {
            writeMessages();
            if (!reading) {
                flushOut();
            }
        }
        ctx.fireChannelWritabilityChanged();
    }

    private void write(
            CompletableFuture<Object> future,
            ReplyEncoder<Object> encoder,
            RespCommand command,
            long start,
            boolean closeAfter) {
        guard.requestAnswered();
        if (closing || !ctx.channel().isActive()) {
            return;
        }
        if (out == null) {
            out = ctx.alloc().ioBuffer(256);
        }
        boolean success;
        try {
            success = encoder.encode(future.join(), out);
        } catch (CompletionException | java.util.concurrent.CancellationException e) {
            LOG.warn("command {} failed unexpectedly", command, e);
            RespWriter.error(out, RespErrors.internal(e));
            success = false;
        }
        if (command != null) {
            door.meter(command).record(start, success);
        }
        if (closeAfter) {
            closing = true;
        }
        if (closing) {
            flushOut();
        } else if (out.readableBytes() >= BATCH_SLICE_BYTES) {
            ByteBuf slice = out;
            out = null;
            unflushed = true;
            ctx.write(slice, ctx.voidPromise());
        }
    }

    private void flushOut() {
        if (inactive || !ctx.channel().isActive()) {
            if (out != null) {
                out.release(); // closed by the output hard limit: nothing more goes out
                out = null;
            }
            return;
        }
        ByteBuf batch = out;
        out = null;
        if (batch != null && batch.isReadable()) {
            ctx.write(batch, ctx.voidPromise());
            unflushed = true;
        } else if (batch != null) {
            batch.release();
        }
        if (closing) {
            unflushed = false;
            ctx.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener(ChannelFutureListener.CLOSE);
        } else if (unflushed) {
            unflushed = false;
            ctx.flush();
        }
    }

    private static String unknownCommand(String name, byte[][] args) {
        StringBuilder preview = new StringBuilder();
        for (int i = 1; i < args.length && preview.length() < 128; i++) {
            preview.append('\'')
                    .append(new String(args[i], StandardCharsets.UTF_8))
                    .append("' ");
        }
        String shown = name.length() > 128 ? name.substring(0, 128) + "..." : name;
        return "ERR unknown command '" + shown + "', with args beginning with: " + preview;
    }

    private static String ascii(byte[] bytes) {
        return new String(bytes, StandardCharsets.US_ASCII);
    }
}
