package dev.pbkv.server.auth;

import dev.pbkv.server.config.TlsSettings;
import io.grpc.netty.GrpcSslContexts;
import io.netty.handler.ssl.ClientAuth;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import java.io.File;
import javax.net.ssl.SSLException;

/**
 * The TLS contexts of one node, all from the one {@code tls} settings block (docs/security.md,
 * "TLS"): the plain-Netty doors (RESP, HTTP), the gRPC door, and the channel to the peer. Built
 * once at start; a certificate, key or CA that cannot be loaded stops the node with a message
 * naming the setting. Null everywhere while TLS is off.
 */
public final class TlsContexts {
    private final SslContext doors;
    private final SslContext grpcServer;
    private final SslContext peerClient;

    private TlsContexts(SslContext doors, SslContext grpcServer, SslContext peerClient) {
        this.doors = doors;
        this.grpcServer = grpcServer;
        this.peerClient = peerClient;
    }

    public static final TlsContexts OFF = new TlsContexts(null, null, null);

    public static TlsContexts of(TlsSettings tls) {
        if (!tls.enabled()) {
            return OFF;
        }
        try {
            ClientAuth clients = switch (tls.clientAuth()) {
                case "require" -> ClientAuth.REQUIRE;
                case "optional" -> ClientAuth.OPTIONAL;
                default -> ClientAuth.NONE;
            };
            // The gRPC port serves clients and the peer: with mutual-peers it asks every caller for a
            // certificate, and the replication service refuses a peer that gave none.
            ClientAuth grpcClients = tls.mutualPeers() && clients == ClientAuth.NONE ? ClientAuth.OPTIONAL : clients;
            SslContext doors = server(tls).clientAuth(clients).build();
            SslContext grpc = GrpcSslContexts.configure(server(tls))
                    .clientAuth(grpcClients)
                    .build();
            SslContextBuilder client = GrpcSslContexts.forClient();
            if (tls.caFile() != null) {
                client.trustManager(tls.caFile().toFile());
            }
            client.keyManager(file(tls.certFile()), file(tls.keyFile()));
            return new TlsContexts(doors, grpc, client.build());
        } catch (SSLException | IllegalArgumentException e) {
            throw new IllegalArgumentException(
                    "tls: cannot load tls.cert-file " + tls.certFile() + ", tls.key-file "
                            + tls.keyFile() + (tls.caFile() == null ? "" : " or tls.ca-file " + tls.caFile()) + ": "
                            + rootMessage(e),
                    e);
        }
    }

    private static SslContextBuilder server(TlsSettings tls) {
        SslContextBuilder b = SslContextBuilder.forServer(file(tls.certFile()), file(tls.keyFile()));
        if (tls.caFile() != null) {
            b.trustManager(tls.caFile().toFile());
        }
        return b;
    }

    private static File file(java.nio.file.Path p) {
        return p.toFile();
    }

    private static String rootMessage(Throwable e) {
        Throwable t = e;
        while (t.getCause() != null && t.getCause() != t) {
            t = t.getCause();
        }
        return t == e ? String.valueOf(e.getMessage()) : e.getMessage() + " (" + t + ")";
    }

    /** The RESP and HTTP doors' server context, or null (plaintext). */
    public SslContext doors() {
        return doors;
    }

    /** The gRPC door's server context (ALPN h2), or null (plaintext). */
    public SslContext grpcServer() {
        return grpcServer;
    }

    /** The channel to the peer: trusts tls.ca-file and presents this node's certificate; null (plaintext). */
    public SslContext peerClient() {
        return peerClient;
    }

    public boolean enabled() {
        return doors != null;
    }
}
