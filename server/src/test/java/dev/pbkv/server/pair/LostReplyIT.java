package dev.pbkv.server.pair;

import static dev.pbkv.server.pair.PairFailoverIT.STATE_WAIT;
import static dev.pbkv.server.pair.PairFailoverIT.awaitSync;
import static dev.pbkv.server.pair.PairFailoverIT.pair;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.google.protobuf.ByteString;
import dev.pbkv.client.PbkvClient;
import dev.pbkv.client.WriteResult;
import dev.pbkv.client.WriteStatus;
import dev.pbkv.proto.GetRequest;
import dev.pbkv.proto.KeyValueGrpc;
import dev.pbkv.testkit.NodeProcess;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A reply lost on purpose: a TCP proxy between the client and the primary forwards the request
 * but swallows the reply and then drops the connection. The client retries with the same
 * WriteTag, and the primary answers with the original result without applying the write again.
 */
class LostReplyIT {
    @TempDir
    Path dir;

    /** A loopback TCP proxy whose fault hook swallows the target's bytes and, on demand, drops every connection. */
    static final class ReplyDroppingProxy implements AutoCloseable {
        private final ServerSocket listener;
        private final int targetPort;
        // Every socket of every proxied connection, so cut() can close them all.
        private final Set<Socket> sockets = ConcurrentHashMap.newKeySet();
        // While true, bytes from the target are read and thrown away (the replies are lost).
        private volatile boolean swallowReplies;

        ReplyDroppingProxy(int targetPort) throws IOException {
            this.targetPort = targetPort;
            this.listener = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
            Thread acceptor = new Thread(this::acceptLoop, "lost-reply-proxy-accept");
            acceptor.setDaemon(true);
            acceptor.start();
        }

        String address() {
            return "127.0.0.1:" + listener.getLocalPort();
        }

        void swallowReplies(boolean on) {
            swallowReplies = on;
        }

        /** Drops every open connection (the client sees the connection closed) and stops swallowing. */
        void cut() {
            swallowReplies = false;
            sockets.forEach(ReplyDroppingProxy::closeQuietly);
            sockets.clear();
        }

        private void acceptLoop() {
            while (!listener.isClosed()) {
                try {
                    Socket client = listener.accept();
                    Socket target = new Socket(InetAddress.getLoopbackAddress(), targetPort);
                    client.setTcpNoDelay(true);
                    target.setTcpNoDelay(true);
                    sockets.add(client);
                    sockets.add(target);
                    pump(client, target, false);
                    pump(target, client, true);
                } catch (IOException e) {
                    if (!listener.isClosed()) {
                        throw new UncheckedIOException(e);
                    }
                }
            }
        }

        private void pump(Socket from, Socket to, boolean replies) {
            Thread t = new Thread(
                    () -> {
                        byte[] buf = new byte[16384];
                        try (InputStream in = from.getInputStream();
                                OutputStream out = to.getOutputStream()) {
                            for (int n; (n = in.read(buf)) >= 0; ) {
                                if (!(replies && swallowReplies)) {
                                    out.write(buf, 0, n);
                                    out.flush();
                                }
                            }
                        } catch (IOException e) {
                            // the connection was cut or closed: this pump ends
                        } finally {
                            closeQuietly(from);
                            closeQuietly(to);
                        }
                    },
                    "lost-reply-proxy-pump");
            t.setDaemon(true);
            t.start();
        }

        private static void closeQuietly(Socket s) {
            try {
                s.close();
            } catch (IOException ignored) {
                // already closed
            }
        }

        @Override
        public void close() throws IOException {
            listener.close();
            cut();
        }
    }

    @Test
    void aRetriedInsertWhoseReplyWasLostGetsTheOriginalSuccessAndIsAppliedOnce() throws Exception {
        try (NodeProcess.Pair pair = pair(dir).start();
                ReplyDroppingProxy proxy = new ReplyDroppingProxy(pair.primary().grpcPort());
                PbkvClient client = PbkvClient.builder()
                        .endpoint(proxy.address())
                        .retryDeadline(Duration.ofSeconds(30))
                        .callTimeout(Duration.ofSeconds(20))
                        .build()) {
            awaitSync(pair.primary(), pair.backup());
            assertThat(client.put("warm", "up").isOk()).isTrue(); // the connection through the proxy is open

            KeyValueGrpc.KeyValueBlockingStub direct =
                    KeyValueGrpc.newBlockingStub(pair.primary().channel());
            GetRequest probe = GetRequest.newBuilder()
                    .setKey(ByteString.copyFromUtf8("once"))
                    .build();
            proxy.swallowReplies(true);
            CompletableFuture<WriteResult> insert = CompletableFuture.supplyAsync(() -> client.insert("once", "first"));
            // the request reached the primary and was applied (and replicated): its reply is lost in the proxy
            await().atMost(STATE_WAIT)
                    .ignoreExceptions()
                    .until(
                            () -> direct.withDeadlineAfter(5, TimeUnit.SECONDS)
                                    .get(probe)
                                    .getValue()
                                    .toStringUtf8(),
                            "first"::equals);
            long offsetAfterFirst = pair.primary().status().getLastOffset();
            assertThat(insert).isNotDone();
            proxy.cut(); // the client sees the connection drop and retries with the same WriteTag

            WriteResult retried = insert.get(60, TimeUnit.SECONDS);
            assertThat(retried.status())
                    .as("the original answer, not ALREADY_EXISTS")
                    .isEqualTo(WriteStatus.OK);
            assertThat(retried.created()).isTrue();
            assertThat(retried.offset()).isEqualTo(offsetAfterFirst);
            assertThat(pair.primary().status().getLastOffset())
                    .as("no second record")
                    .isEqualTo(offsetAfterFirst);

            // a new insert of the same key (a new tag) is refused as usual
            assertThat(client.insert("once", "second").status()).isEqualTo(WriteStatus.ALREADY_EXISTS);
            assertThat(pair.backup().dump().get(ByteString.copyFromUtf8("once")))
                    .isEqualTo(ByteString.copyFromUtf8("first"));
        }
    }
}
