package dev.pbkv.server.grpc;

import com.google.protobuf.ByteString;
import dev.pbkv.proto.WatchEvent;
import dev.pbkv.proto.WatchEventType;
import dev.pbkv.proto.WatchRequest;
import dev.pbkv.proto.WatchResponse;
import dev.pbkv.server.command.Commands;
import dev.pbkv.server.command.Reply;
import dev.pbkv.server.command.watch.Change;
import dev.pbkv.server.command.watch.ChangeFilter;
import dev.pbkv.server.command.watch.Watch;
import dev.pbkv.server.command.watch.WatchBatch;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.ServerCallStreamObserver;

/**
 * One Watch call: takes batches from its {@link Watch} only while the call is ready (the client's
 * flow-control window has room), so a client that does not read leaves its changes in the
 * watch's bounded buffer, which ends it with RESOURCE_EXHAUSTED once full.
 *
 * <p>Threads: the watch thread (the watch has news) and onReady (the call's serial executor)
 * both drain; this monitor is held only while handing messages to gRPC, which queues them
 * without blocking.
 */
final class WatchStreamSender {
    /** Events in one message at most (a record's events are never split). */
    static final int MAX_EVENTS_PER_MESSAGE = 256;

    private final ServerCallStreamObserver<WatchResponse> call;
    /** Set once open() answered; guarded by this. */
    private Watch watch;
    /** Whether the call was ended (or cancelled); guarded by this. */
    private boolean finished;

    private WatchStreamSender(ServerCallStreamObserver<WatchResponse> call) {
        this.call = call;
    }

    /** Opens the watch the request asks for and starts streaming; call from the service method. */
    static void start(Commands commands, WatchRequest request, ServerCallStreamObserver<WatchResponse> call) {
        WatchStreamSender sender = new WatchStreamSender(call);
        byte[] key = request.getKey().toByteArray();
        if (!request.getPrefix() && key.length == 0) {
            call.onError(io.grpc.Status.INVALID_ARGUMENT
                    .withDescription("key is empty (set prefix to watch keys by prefix, an empty prefix for every key)")
                    .asRuntimeException());
            return;
        }
        ChangeFilter filter = request.getPrefix() ? ChangeFilter.prefix(key) : ChangeFilter.key(key);
        call.setOnReadyHandler(sender::drain);
        call.setOnCancelHandler(sender::cancelled);
        Reply<Watch> opened = commands.watch(filter, request.getStartOffset(), request.getAllowStale(), sender::drain);
        if (opened instanceof Reply.Failure<Watch> f) {
            sender.fail(f);
            return;
        }
        Watch w = ((Reply.Success<Watch>) opened).value();
        synchronized (sender) {
            sender.watch = w;
            if (sender.finished) {
                w.cancel(); // the client left while the watch was opening
                return;
            }
            // The first message says where the watch starts, so a client that sees no change can resume too.
            call.onNext(WatchResponse.newBuilder()
                    .setThroughOffset(w.startedAfter())
                    .build());
        }
        sender.drain();
    }

    private synchronized void fail(Reply.Failure<?> f) {
        if (!finished) {
            finished = true;
            call.onError(StatusMapping.toException(f));
        }
    }

    private void cancelled() {
        Watch w;
        synchronized (this) {
            finished = true;
            w = watch;
        }
        if (w != null) {
            w.cancel();
        }
    }

    private synchronized void drain() {
        if (watch == null || finished) {
            return;
        }
        try {
            WatchBatch batch;
            while (call.isReady() && (batch = watch.poll(MAX_EVENTS_PER_MESSAGE)) != null) {
                call.onNext(messageOf(batch));
            }
            Reply.Failure<Void> end = watch.endedWith();
            if (end != null) {
                finished = true;
                call.onError(StatusMapping.toException(end)); // trailers need no window
            }
        } catch (IllegalStateException | StatusRuntimeException cancelledMeanwhile) {
            finished = true;
            watch.cancel();
        }
    }

    private static WatchResponse messageOf(WatchBatch batch) {
        WatchResponse.Builder m = WatchResponse.newBuilder().setThroughOffset(batch.through());
        for (Change c : batch.changes()) {
            m.addEvents(WatchEvent.newBuilder()
                    .setOffset(c.offset())
                    .setType(typeOf(c))
                    .setKey(ByteString.copyFrom(c.key()))
                    .setValue(ByteString.copyFrom(c.value())));
        }
        return m.build();
    }

    private static WatchEventType typeOf(Change c) {
        return switch (c.kind()) {
            case SET -> WatchEventType.WATCH_EVENT_TYPE_SET;
            case DEL -> WatchEventType.WATCH_EVENT_TYPE_DELETE;
            case EXPIRED -> WatchEventType.WATCH_EVENT_TYPE_EXPIRED;
        };
    }
}
