package dev.pbkv.server.replication;

import io.grpc.ClientInterceptor;
import io.grpc.ManagedChannel;
import io.grpc.netty.NettyChannelBuilder;

/** The gRPC channel to the peer, made on first use and shared by probes, the stream and transfers. */
final class PeerChannel {
    /** Channel limit for batches and snapshot chunks from the primary. */
    private static final int MAX_INBOUND_MESSAGE_BYTES = 64 << 20;

    private final String peerAddress;
    private final ClientInterceptor proof;
    /** Guarded by this. */
    private ManagedChannel channel;

    /** proof adds the cluster secret's proof to every call (PeerProof). */
    PeerChannel(String peerAddress, ClientInterceptor proof) {
        this.peerAddress = peerAddress;
        this.proof = proof;
    }

    String address() {
        return peerAddress;
    }

    synchronized ManagedChannel get() {
        if (channel == null) {
            channel = NettyChannelBuilder.forTarget(peerAddress)
                    .usePlaintext()
                    .directExecutor()
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
