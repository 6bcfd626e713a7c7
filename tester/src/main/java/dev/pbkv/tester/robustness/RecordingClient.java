package dev.pbkv.tester.robustness;

import com.google.protobuf.ByteString;
import dev.pbkv.proto.DeleteRequest;
import dev.pbkv.proto.GetRequest;
import dev.pbkv.proto.GetResponse;
import dev.pbkv.proto.KeyValueGrpc;
import dev.pbkv.proto.WriteRequest;
import dev.pbkv.proto.WriteResponse;
import dev.pbkv.tester.history.Answer;
import dev.pbkv.tester.history.History;
import dev.pbkv.tester.history.Op;
import dev.pbkv.tester.history.OpKind;
import dev.pbkv.tester.history.Outcome;
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.nio.charset.StandardCharsets;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.BooleanSupplier;

/**
 * One robustness client: a loop of single attempts, one in flight, each recorded in the history
 * with its call and return times and its outcome. It does not retry an operation (a retry would
 * blur what the first attempt did): after a refusal or an unknown outcome it moves on to a new
 * operation, on the node the refusal named as primary ({@code pbkv-primary} trailer), else on the
 * other node, after a short pause.
 *
 * <p>Plain gRPC stubs, not {@code PbkvClient}: the library retries UNAVAILABLE and deadlines
 * inside one call (with write tags, so that a retry is applied at most once), which is right for
 * an application and hides from a history which attempt did what.
 */
final class RecordingClient implements Runnable {
    static final Metadata.Key<String> PRIMARY_TRAILER =
            Metadata.Key.of("pbkv-primary", Metadata.ASCII_STRING_MARSHALLER);

    private final int id;
    private final NodeChannels nodes;
    private final History history;
    private final OpMix mix;
    private final long timeoutMillis;
    private final long pauseMillis;
    private final BooleanSupplier stop;
    private final Random rnd;
    private String target;
    private long seq;

    RecordingClient(
            int id,
            NodeChannels nodes,
            History history,
            OpMix mix,
            long timeoutMillis,
            long pauseMillis,
            long seed,
            BooleanSupplier stop) {
        this.id = id;
        this.nodes = nodes;
        this.history = history;
        this.mix = mix;
        this.timeoutMillis = timeoutMillis;
        this.pauseMillis = pauseMillis;
        this.stop = stop;
        this.rnd = new Random(seed);
        this.target = nodes.addresses().get(0);
    }

    @Override
    public void run() {
        while (!stop.getAsBoolean()) {
            OpMix.Next next = mix.next(rnd, id, seq++);
            String value = next.kind() == OpKind.DELETE || next.kind() == OpKind.GET ? null : "c" + id + "-" + seq;
            Op op = invoke(next.kind(), next.key(), value);
            history.add(op);
            if (op.outcome() != Outcome.OK) {
                sleep(pauseMillis);
            }
        }
    }

    /** One attempt on the current target; moves the target on a refusal or a lost call. */
    Op invoke(OpKind kind, String key, String value) {
        AtomicBoolean answered = new AtomicBoolean();
        String node = target;
        KeyValueGrpc.KeyValueBlockingStub stub = KeyValueGrpc.newBlockingStub(nodes.get(node))
                .withOption(ServerAnswered.FLAG, answered)
                .withDeadlineAfter(timeoutMillis, TimeUnit.MILLISECONDS);
        ByteString k = ByteString.copyFromUtf8(key);
        long opId = history.nextId();
        long call = System.nanoTime();
        try {
            switch (kind) {
                case GET -> {
                    GetResponse r = stub.get(GetRequest.newBuilder().setKey(k).build());
                    return done(opId, kind, key, r.getValue().toStringUtf8(), call, Answer.VALUE, null, node);
                }
                case DELETE -> {
                    stub.delete(DeleteRequest.newBuilder().setKey(k).build());
                    return done(opId, kind, key, null, call, Answer.APPLIED, null, node);
                }
                default -> {
                    WriteRequest req = WriteRequest.newBuilder()
                            .setKey(k)
                            .setValue(ByteString.copyFrom(value, StandardCharsets.UTF_8))
                            .build();
                    WriteResponse r = switch (kind) {
                        case PUT -> stub.put(req);
                        case INSERT -> stub.insert(req);
                        default -> stub.update(req);
                    };
                    return done(
                            opId,
                            kind,
                            key,
                            value,
                            call,
                            Answer.APPLIED,
                            kind == OpKind.PUT ? r.getCreated() : null,
                            node);
                }
            }
        } catch (StatusRuntimeException e) {
            long ret = System.nanoTime();
            Status.Code code = e.getStatus().getCode();
            if (answered.get() && code == Status.Code.NOT_FOUND && kind != OpKind.INSERT && kind != OpKind.PUT) {
                return done(
                        opId,
                        kind,
                        key,
                        kind == OpKind.GET ? null : value,
                        call,
                        kind == OpKind.GET ? Answer.ABSENT : Answer.NOT_FOUND,
                        null,
                        node);
            }
            if (answered.get() && code == Status.Code.ALREADY_EXISTS && kind == OpKind.INSERT) {
                return done(opId, kind, key, value, call, Answer.ALREADY_EXISTS, null, node);
            }
            Outcome outcome = kind.isWrite()
                    ? Classifier.ofWriteFailure(e, answered.get())
                    : answered.get() ? Outcome.FAIL : Outcome.UNKNOWN;
            moveOn(e);
            return new Op(
                    opId,
                    id,
                    kind,
                    key,
                    value,
                    call,
                    ret,
                    outcome,
                    Answer.NONE,
                    null,
                    node,
                    Classifier.describe(e, answered.get()));
        }
    }

    private Op done(
            long opId, OpKind kind, String key, String value, long call, Answer a, Boolean created, String node) {
        return new Op(opId, id, kind, key, value, call, System.nanoTime(), Outcome.OK, a, created, node, "");
    }

    private void moveOn(StatusRuntimeException e) {
        Metadata trailers = e.getTrailers();
        String hint = trailers == null ? null : trailers.get(PRIMARY_TRAILER);
        if (hint != null && nodes.knows(hint) && !hint.equals(target)) {
            target = hint;
        } else {
            target = nodes.after(target);
        }
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
