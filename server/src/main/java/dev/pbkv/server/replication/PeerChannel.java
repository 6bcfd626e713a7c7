package dev.pbkv.server.replication;

import io.grpc.ClientInterceptor;
import io.grpc.ManagedChannel;
import io.grpc.netty.NettyChannelBuilder;
import io.netty.handler.ssl.SslContext;

/** The gRPC channel to the peer, made on first use and shared by probes, the stream and transfers. */
final class PeerChannel {
    /** Channel limit for batches and snapshot chunks from the primary. */
    private static final int MAX_INBOUND_MESSAGE_BYTES = 64 << 20;

    private final String peerAddress;
    private final ClientInterceptor proof;
    /** TLS to the peer, or null (plaintext). */
    private final SslContext tls;
    /** Guarded by this. */
    private ManagedChannel channel;

    /** proof adds the cluster secret's proof to every call (PeerProof); tls null is plaintext. */
    PeerChannel(String peerAddress, ClientInterceptor proof, SslContext tls) {
        this.peerAddress = peerAddress;
        this.proof = proof;
        this.tls = tls;
    }

    String address() {
        return peerAddress;
    }

    synchronized ManagedChannel get() {
        if (channel == null) {
            NettyChannelBuilder b = NettyChannelBuilder.forTarget(peerAddress);
            if (tls == null) {
                b.usePlaintext();
            } else {
                b.sslContext(tls);
            }
            channel = b.directExecutor()
                    .maxInboundMessageSize(MAX_INBOUND_MESSAGE_BYTES)
                    .intercept(proof)
                    .build();
        }
        return channel;
    }

    synchronized void close() {
        if (channel != null) {
            channel.shutdownNow();
        }
    }
}
