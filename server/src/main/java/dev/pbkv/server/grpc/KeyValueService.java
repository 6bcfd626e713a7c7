package dev.pbkv.server.grpc;

import com.google.protobuf.ByteString;
import dev.pbkv.proto.BatchRequest;
import dev.pbkv.proto.BatchResponse;
import dev.pbkv.proto.CountRequest;
import dev.pbkv.proto.CountResponse;
import dev.pbkv.proto.DeleteRequest;
import dev.pbkv.proto.Entry;
import dev.pbkv.proto.ExistsRequest;
import dev.pbkv.proto.ExistsResponse;
import dev.pbkv.proto.ExpireRequest;
import dev.pbkv.proto.ExpireResponse;
import dev.pbkv.proto.GetRequest;
import dev.pbkv.proto.GetResponse;
import dev.pbkv.proto.KeyValueGrpc;
import dev.pbkv.proto.ScanRequest;
import dev.pbkv.proto.ScanResponse;
import dev.pbkv.proto.TtlRequest;
import dev.pbkv.proto.TtlResponse;
import dev.pbkv.proto.WatchRequest;
import dev.pbkv.proto.WatchResponse;
import dev.pbkv.proto.WriteRequest;
import dev.pbkv.proto.WriteResponse;
import dev.pbkv.server.command.BatchStep;
import dev.pbkv.server.command.Commands;
import dev.pbkv.server.command.ErrorCode;
import dev.pbkv.server.command.ExpireCondition;
import dev.pbkv.server.command.Expiry;
import dev.pbkv.server.command.KeyTtl;
import dev.pbkv.server.command.KeyValue;
import dev.pbkv.server.command.Reply;
import dev.pbkv.server.command.WriteAck;
import dev.pbkv.server.command.WriteTag;
import dev.pbkv.server.net.TurnLogWrites;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.function.Function;

/** The KeyValue service: each RPC is one command-layer call, translated both ways. */
final class KeyValueService extends KeyValueGrpc.KeyValueImplBase {
    /** A Scan message carries about this many key and value bytes at most (one entry may overshoot). */
    static final int SCAN_PAGE_BYTES = 1 << 20;

    private final Commands commands;
    /** Under fsync no, a write on an event loop is written by that loop at the end of its turn. */
    private final TurnLogWrites turnLogWrites;

    KeyValueService(Commands commands) {
        this.commands = commands;
        this.turnLogWrites = new TurnLogWrites(commands::expectLogWrite, commands::writeExpectedLog);
    }

    /** The command layer as this call's caller may use it (see {@link AuthInterceptor}). */
    private Commands commands() {
        return AuthInterceptor.commandsFor(commands);
    }

    @Override
    public void get(GetRequest request, StreamObserver<GetResponse> observer) {
        ReplyResponder.respond(
                commands().get(request.getKey().toByteArray(), request.getAllowStale()),
                observer,
                v -> GetResponse.newBuilder().setValue(ByteString.copyFrom(v)).build());
    }

    @Override
    public void insert(WriteRequest request, StreamObserver<WriteResponse> observer) {
        turnLogWrites.beforeWriteOnThisLoop();
        ReplyResponder.respond(
                withExpiry(
                        request,
                        e -> commands()
                                .insert(
                                        request.getKey().toByteArray(),
                                        request.getValue().toByteArray(),
                                        e,
                                        tagOf(request.hasTag(), request.getTag()))),
                observer,
                KeyValueService::ack);
    }

    @Override
    public void update(WriteRequest request, StreamObserver<WriteResponse> observer) {
        turnLogWrites.beforeWriteOnThisLoop();
        ReplyResponder.respond(
                withExpiry(
                        request,
                        e -> commands()
                                .update(
                                        request.getKey().toByteArray(),
                                        request.getValue().toByteArray(),
                                        e,
                                        tagOf(request.hasTag(), request.getTag()))),
                observer,
                KeyValueService::ack);
    }

    @Override
    public void put(WriteRequest request, StreamObserver<WriteResponse> observer) {
        turnLogWrites.beforeWriteOnThisLoop();
        ReplyResponder.respond(
                withExpiry(
                        request,
                        e -> commands()
                                .put(
                                        request.getKey().toByteArray(),
                                        request.getValue().toByteArray(),
                                        e,
                                        tagOf(request.hasTag(), request.getTag()))),
                observer,
                KeyValueService::ack);
    }

    @Override
    public void delete(DeleteRequest request, StreamObserver<WriteResponse> observer) {
        turnLogWrites.beforeWriteOnThisLoop();
        if (request.getReturnPrevious()) {
            ReplyResponder.respond(
                    commands.deleteReturning(request.getKey().toByteArray(), tagOf(request.hasTag(), request.getTag())),
                    observer,
                    v -> v == null
                            ? WriteResponse.getDefaultInstance()
                            : WriteResponse.newBuilder()
                                    .setPreviousValue(ByteString.copyFrom(v))
                                    .setHasPreviousValue(true)
                                    .build());
            return;
        }
        ReplyResponder.respond(
                commands().delete(request.getKey().toByteArray(), tagOf(request.hasTag(), request.getTag())),
                observer,
                KeyValueService::ack);
    }

    @Override
    public void exists(ExistsRequest request, StreamObserver<ExistsResponse> observer) {
        ReplyResponder.respond(
                commands().exists(request.getKey().toByteArray(), request.getAllowStale()),
                observer,
                v -> ExistsResponse.newBuilder().setExists(v).build());
    }

    @Override
    public void count(CountRequest request, StreamObserver<CountResponse> observer) {
        ReplyResponder.respond(
                commands().count(request.getAllowStale()),
                observer,
                n -> CountResponse.newBuilder().setCount(n).build());
    }

    @Override
    public void scan(ScanRequest request, StreamObserver<ScanResponse> observer) {
        ScanPageSender pages = new ScanPageSender((ServerCallStreamObserver<ScanResponse>) observer);
        commands()
                .scan(
                        request.getPrefix().toByteArray(),
                        request.getStartAfter().toByteArray(),
                        request.getLimit(),
                        request.getAllowStale())
                .whenComplete((r, t) -> {
                    if (t == null && r instanceof Reply.Success<List<KeyValue>> s) {
                        pages.send(s.value());
                    } else {
                        ReplyResponder.respond(
                                t == null ? CompletableFuture.completedFuture(r) : CompletableFuture.failedFuture(t),
                                observer,
                                v -> ScanResponse.getDefaultInstance());
                    }
                });
    }

    @Override
    public void expire(ExpireRequest request, StreamObserver<ExpireResponse> observer) {
        int given = (request.getTtlMs() != 0 ? 1 : 0)
                + (request.getExpireAtMs() != 0 ? 1 : 0)
                + (request.getPersist() ? 1 : 0);
        Expiry e = request.getPersist()
                ? Expiry.PERSIST
                : request.getExpireAtMs() != 0 ? Expiry.at(request.getExpireAtMs()) : Expiry.in(request.getTtlMs());
        ReplyResponder.respond(
                given > 1
                        ? CompletableFuture.completedFuture(Reply.failure(
                                ErrorCode.INVALID_ARGUMENT, "set one of ttl_ms, expire_at_ms and persist"))
                        : commands()
                                .expire(
                                        request.getKey().toByteArray(),
                                        e,
                                        new ExpireCondition(
                                                request.getNx(), request.getXx(), request.getGt(), request.getLt())),
                observer,
                changed -> ExpireResponse.newBuilder().setChanged(changed).build());
    }

    @Override
    public void ttl(TtlRequest request, StreamObserver<TtlResponse> observer) {
        CompletableFuture<Reply<KeyTtl>> ttl = commands()
                .ttl(request.getKey().toByteArray(), request.getAllowStale())
                .thenApply(r ->
                        r instanceof Reply.Success<KeyTtl> s && !s.value().present()
                                ? Reply.failure(ErrorCode.NOT_FOUND, "key not found")
                                : r);
        ReplyResponder.respond(
                ttl,
                observer,
                t -> TtlResponse.newBuilder()
                        .setTtlMs(t.remainingMillis())
                        .setExpireAtMs(t.deadline())
                        .build());
    }

    /** The write's expiry from ttl_ms, expire_at_ms and keep_ttl (at most one), then the call; INVALID_ARGUMENT otherwise. */
    private static CompletableFuture<Reply<WriteAck>> withExpiry(
            WriteRequest request, Function<Expiry, CompletableFuture<Reply<WriteAck>>> call) {
        int given = (request.getTtlMs() != 0 ? 1 : 0)
                + (request.getExpireAtMs() != 0 ? 1 : 0)
                + (request.getKeepTtl() ? 1 : 0);
        if (given > 1 || request.getTtlMs() < 0 || request.getExpireAtMs() < 0) {
            return CompletableFuture.completedFuture(Reply.failure(
                    ErrorCode.INVALID_ARGUMENT, "set at most one of ttl_ms, expire_at_ms and keep_ttl, none negative"));
        }
        Expiry e = request.getTtlMs() > 0
                ? Expiry.in(request.getTtlMs())
                : request.getExpireAtMs() > 0
                        ? Expiry.at(request.getExpireAtMs())
                        : request.getKeepTtl() ? Expiry.KEEP : Expiry.NONE;
        return call.apply(e);
    }

    @Override
    public void watch(WatchRequest request, StreamObserver<WatchResponse> observer) {
        WatchStreamSender.start(commands(), request, (ServerCallStreamObserver<WatchResponse>) observer);
    }

    @Override
    public void batch(BatchRequest request, StreamObserver<BatchResponse> observer) {
        turnLogWrites.beforeWriteOnThisLoop();
        List<BatchStep> steps;
        try {
            steps = BatchTranslation.steps(request);
        } catch (IllegalArgumentException e) {
            ReplyResponder.respond(
                    CompletableFuture.completedFuture(Reply.failure(ErrorCode.INVALID_ARGUMENT, e.getMessage())),
                    observer,
                    v -> BatchResponse.getDefaultInstance());
            return;
        }
        ReplyResponder.respond(
                commands().batch(steps, tagOf(request.hasTag(), request.getTag())),
                observer,
                BatchTranslation::response);
    }

    static Entry entryOf(KeyValue kv) {
        return Entry.newBuilder()
                .setKey(ByteString.copyFrom(kv.key()))
                .setValue(ByteString.copyFrom(kv.value()))
                .build();
    }

    private static WriteTag tagOf(boolean present, dev.pbkv.proto.WriteTag tag) {
        return present ? new WriteTag(tag.getClientId(), tag.getSequence()) : WriteTag.NONE;
    }

    private static WriteResponse ack(WriteAck a) {
        return WriteResponse.newBuilder()
                .setOffset(a.offset())
                .setCreated(a.created())
                .build();
    }
}
