package dev.pbkv.tester.driver;

import dev.pbkv.tester.config.ClientSecurity;
import dev.pbkv.tester.config.TlsFiles;
import io.grpc.Metadata;
import io.grpc.netty.GrpcSslContexts;
import io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.MetadataUtils;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import java.net.http.HttpClient;
import java.util.Optional;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLException;

/**
 * The one place the tester's channels and HTTP clients to a node are made, so that every driver
 * and client of a run (the scripted drivers, the robustness clients, the benchmarks' probes)
 * speaks TLS and sends credentials the same way (docs/security.md, "At each door"): gRPC with
 * grpc-netty's TLS trusting the configured CA and the metadata {@code authorization: Basic ...} on
 * every call; HTTP with an {@link SSLContext} trusting the same CA and the same header. The TLS
 * contexts are loaded once, when this is made; a file that cannot be loaded is named then.
 */
public final class NodeConnector {
    /** Plaintext, no credentials: what the tester's own throw-away nodes serve. */
    public static final NodeConnector PLAINTEXT = new NodeConnector(ClientSecurity.NONE);

    private static final Metadata.Key<String> AUTHORIZATION =
            Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER);

    private final ClientSecurity security;
    /** gRPC's TLS context; null for plaintext. */
    private final SslContext grpcTls;
    /** The JDK HTTP client's; null for plaintext. */
    private final SSLContext httpTls;

    public NodeConnector(ClientSecurity security) {
        this.security = security;
        TlsFiles t = security.tls();
        this.grpcTls = t == null ? null : grpcContext(t);
        this.httpTls = t == null ? null : PemTls.context(t);
    }

    public ClientSecurity security() {
        return security;
    }

    /** A channel builder to {@code target} (host:port): TLS or plaintext, credentials attached. */
    public NettyChannelBuilder grpc(String target) {
        NettyChannelBuilder b = NettyChannelBuilder.forTarget(target);
        if (grpcTls == null) {
            b.usePlaintext();
        } else {
            b.sslContext(grpcTls);
        }
        authorization().ifPresent(value -> {
            Metadata headers = new Metadata();
            headers.put(AUTHORIZATION, value);
            b.intercept(MetadataUtils.newAttachHeadersInterceptor(headers));
        });
        return b;
    }

    /** An HTTP client builder that trusts the configured CA when TLS is on. */
    public HttpClient.Builder http() {
        HttpClient.Builder b = HttpClient.newBuilder();
        if (httpTls != null) {
            b.sslContext(httpTls);
        }
        return b;
    }

    /** The {@code Authorization} value every request carries, if the config names a user. */
    public Optional<String> authorization() {
        return security.credentials() == null
                ? Optional.empty()
                : Optional.of(security.credentials().basicAuthorization());
    }

    private static SslContext grpcContext(TlsFiles t) {
        try {
            SslContextBuilder b = GrpcSslContexts.forClient();
            if (t.caFile() != null) {
                b.trustManager(t.caFile().toFile());
            }
            if (t.presentsCertificate()) {
                b.keyManager(t.certFile().toFile(), t.keyFile().toFile());
            }
            return b.build();
        } catch (SSLException | IllegalArgumentException e) {
            throw new IllegalArgumentException(
                    "cannot load the TLS files (tls.ca_file " + t.caFile() + ", tls.cert_file " + t.certFile() + "): "
                            + e.getMessage(),
                    e);
        }
    }
}
