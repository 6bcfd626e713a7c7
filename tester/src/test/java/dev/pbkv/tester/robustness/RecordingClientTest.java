package dev.pbkv.tester.robustness;

import static org.assertj.core.api.Assertions.assertThat;

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
import dev.pbkv.testkit.FreePorts;
import dev.pbkv.testkit.TcpProxy;
import io.grpc.Metadata;
import io.grpc.Server;
import io.grpc.Status;
import io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.StreamObserver;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * How the recording client classifies each answer, against a real gRPC server on a loopback port
 * whose answer depends on the key: the node's own refusal is a failure, a deadline or a lost
 * connection is unknown, a refused connection is a failure, "outcome unknown" is unknown.
 */
class RecordingClientTest {
    private Server server;
    private final Map<String, String> data = new ConcurrentHashMap<>();
    private final History history = new History();
    private NodeChannels nodes;
    private TcpProxy proxy;
    /** Counted down when a call that is never answered reached the server. */
    private final CountDownLatch hanging = new CountDownLatch(1);

    /** Answers per key: refuse*, internal*, unknown*, hang* (never answers); else a map. */
    private final class Kv extends KeyValueGrpc.KeyValueImplBase {
        private boolean special(String key, StreamObserver<?> out) {
            if (key.startsWith("refuse")) {
                Metadata t = new Metadata();
                t.put(RecordingClient.PRIMARY_TRAILER, "127.0.0.1:1");
                out.onError(Status.UNAVAILABLE
                        .withDescription("this node is a backup")
                        .asRuntimeException(t));
                return true;
            }
            if (key.startsWith("internal")) {
                out.onError(Status.INTERNAL.withDescription("storage failure").asRuntimeException());
                return true;
            }
            if (key.startsWith("unknown")) {
                out.onError(Status.UNAVAILABLE
                        .withDescription("outcome unknown: the backup was promoted")
                        .asRuntimeException());
                return true;
            }
            if (key.startsWith("hang")) {
                hanging.countDown(); // never answered
                return true;
            }
            return false;
        }

        @Override
        public void get(GetRequest req, StreamObserver<GetResponse> out) {
            String k = req.getKey().toStringUtf8();
            if (special(k, out)) {
                return;
            }
            String v = data.get(k);
            if (v == null) {
                out.onError(Status.NOT_FOUND.asRuntimeException());
            } else {
                out.onNext(GetResponse.newBuilder()
                        .setValue(ByteString.copyFromUtf8(v))
                        .build());
                out.onCompleted();
            }
        }

        @Override
        public void put(WriteRequest req, StreamObserver<WriteResponse> out) {
            String k = req.getKey().toStringUtf8();
            if (special(k, out)) {
                return;
            }
            boolean created = data.put(k, req.getValue().toStringUtf8()) == null;
            out.onNext(WriteResponse.newBuilder().setCreated(created).build());
            out.onCompleted();
        }

        @Override
        public void insert(WriteRequest req, StreamObserver<WriteResponse> out) {
            String k = req.getKey().toStringUtf8();
            if (special(k, out)) {
                return;
            }
            if (data.putIfAbsent(k, req.getValue().toStringUtf8()) != null) {
                out.onError(Status.ALREADY_EXISTS.asRuntimeException());
                return;
            }
            out.onNext(WriteResponse.newBuilder().setCreated(true).build());
            out.onCompleted();
        }

        @Override
        public void delete(DeleteRequest req, StreamObserver<WriteResponse> out) {
            String k = req.getKey().toStringUtf8();
            if (data.remove(k) == null) {
                out.onError(Status.NOT_FOUND.asRuntimeException());
                return;
            }
            out.onNext(WriteResponse.getDefaultInstance());
            out.onCompleted();
        }
    }

    @BeforeEach
    void start() throws IOException {
        server = NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0))
                .addService(new Kv())
                .build()
                .start();
        proxy = TcpProxy.start(server.getPort());
    }

    @AfterEach
    void stop() {
        if (nodes != null) {
            nodes.close();
        }
        proxy.close();
        server.shutdownNow();
    }

    private RecordingClient client(String... addresses) {
        nodes = new NodeChannels(List.of(addresses));
        return new RecordingClient(0, nodes, history, new OpMix(4), 2000, 0, 1, () -> true);
    }

    private String direct() {
        return "127.0.0.1:" + server.getPort();
    }

    @Test
    void answersOfTheStoreAreOkWithTheirAnswer() {
        RecordingClient c = client(direct());
        assertThat(c.invoke(OpKind.GET, "a", null).answer()).isEqualTo(Answer.ABSENT);
        Op put = c.invoke(OpKind.PUT, "a", "v1");
        assertThat(put.outcome()).isEqualTo(Outcome.OK);
        assertThat(put.created()).isTrue();
        assertThat(c.invoke(OpKind.INSERT, "a", "v2").answer()).isEqualTo(Answer.ALREADY_EXISTS);
        Op got = c.invoke(OpKind.GET, "a", null);
        assertThat(got.answer()).isEqualTo(Answer.VALUE);
        assertThat(got.value()).isEqualTo("v1");
        assertThat(c.invoke(OpKind.DELETE, "a", null).answer()).isEqualTo(Answer.APPLIED);
        assertThat(c.invoke(OpKind.DELETE, "a", null).answer()).isEqualTo(Answer.NOT_FOUND);
    }

    @Test
    void theNodesOwnRefusalIsAFailure() {
        Op op = client(direct()).invoke(OpKind.PUT, "refuse-1", "v");
        assertThat(op.outcome()).isEqualTo(Outcome.FAIL);
        assertThat(op.detail()).contains("this node is a backup").contains("[from the node]");
    }

    @Test
    void internalAndOutcomeUnknownAreUnknown() {
        RecordingClient c = client(direct());
        assertThat(c.invoke(OpKind.PUT, "internal-1", "v").outcome()).isEqualTo(Outcome.UNKNOWN);
        assertThat(c.invoke(OpKind.PUT, "unknown-1", "v").outcome()).isEqualTo(Outcome.UNKNOWN);
    }

    @Test
    void aDeadlineIsUnknown() {
        Op op = client(direct()).invoke(OpKind.PUT, "hang-1", "v");
        assertThat(op.outcome()).isEqualTo(Outcome.UNKNOWN);
        assertThat(op.detail()).contains("DEADLINE_EXCEEDED").contains("[from the transport]");
    }

    @Test
    void aConnectionLostDuringTheCallIsUnknown() throws Exception {
        RecordingClient c = client(proxy.address());
        assertThat(c.invoke(OpKind.PUT, "a", "v1").outcome()).isEqualTo(Outcome.OK); // connected
        Thread resetter = new Thread(() -> {
            try {
                if (hanging.await(10, TimeUnit.SECONDS)) { // the call is in flight on the server
                    proxy.reset();
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        resetter.start();
        Op op = c.invoke(OpKind.PUT, "hang-2", "v");
        resetter.join();
        assertThat(op.outcome()).isEqualTo(Outcome.UNKNOWN);
        assertThat(op.detail()).contains("UNAVAILABLE").contains("[from the transport]");
    }

    @Test
    void aRefusedConnectionIsAFailureTheCallNeverLeft() {
        int nobody = FreePorts.take();
        Op op = client("127.0.0.1:" + nobody).invoke(OpKind.PUT, "a", "v");
        assertThat(op.outcome()).isEqualTo(Outcome.FAIL);
        assertThat(op.detail()).contains("UNAVAILABLE");
    }

    @Test
    void aCutLinkIsUnknownForWritesAndDroppedForReads() {
        RecordingClient c = client(proxy.address());
        assertThat(c.invoke(OpKind.PUT, "a", "v1").outcome()).isEqualTo(Outcome.OK);
        proxy.cut();
        assertThat(c.invoke(OpKind.PUT, "a", "v2").outcome()).isEqualTo(Outcome.UNKNOWN);
        assertThat(c.invoke(OpKind.GET, "a", null).outcome()).isEqualTo(Outcome.UNKNOWN);
    }
}
