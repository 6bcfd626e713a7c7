package dev.pbkv.server.tls;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Path;
import java.security.cert.CertificateExpiredException;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Set;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLHandshakeException;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Real handshakes on 127.0.0.1 with what bin/pbkv certs writes, and with what it must not accept. */
class TlsHandshakeTest {
    @TempDir
    Path dir;

    private X509Certificate ca;

    @BeforeEach
    void writeCertificates() throws Exception {
        DevCertificates.write(
                dir,
                new DevCertificates.Request(DevCertificates.DEFAULT_NODES, List.of(), Duration.ofDays(365)),
                false);
        ca = LoadedPem.certificate(dir.resolve("ca.pem"));
    }

    private SSLContext trustingOnly(X509Certificate trusted) throws Exception {
        return LoadedPem.context(null, null, trusted);
    }

    @Test
    void clientTrustingCaPemVerifiesTheNodeAt127001() throws Exception {
        X509Certificate presented = LoopbackTls.handshake(LoadedPem.context(dir, "primary"), trustingOnly(ca), false);

        assertThat(presented.getSubjectX500Principal().getName()).contains("CN=primary");
    }

    @Test
    void nodesAuthenticateEachOtherWithMutualTls() throws Exception {
        X509Certificate presented =
                LoopbackTls.handshake(LoadedPem.context(dir, "primary"), LoadedPem.context(dir, "backup"), true);

        assertThat(presented.getSubjectX500Principal().getName()).contains("CN=primary");
    }

    @Test
    void clientCertificateServesMutualTls() throws Exception {
        LoopbackTls.handshake(LoadedPem.context(dir, "backup"), LoadedPem.context(dir, "client"), true);
    }

    @Test
    void mutualTlsRefusesAClientWithoutACertificate() {
        assertThatThrownBy(() -> LoopbackTls.handshake(LoadedPem.context(dir, "primary"), trustingOnly(ca), true))
                .isInstanceOf(IOException.class);
    }

    @Test
    void clientTrustingAnotherCaRefusesTheNode() {
        DevCa other = DevCa.create("another CA", Duration.ofDays(1));

        assertThatThrownBy(() -> LoopbackTls.handshake(
                        LoadedPem.context(dir, "primary"), trustingOnly(other.certificate()), false))
                .isInstanceOf(SSLHandshakeException.class)
                .hasStackTraceContaining("unable to find valid certification path");
    }

    @Test
    void nodeCertificateOfAnotherCaIsRefused() {
        DevCa other = DevCa.create("another CA", Duration.ofDays(1));
        IssuedCertificate impostor = other.issue(
                "primary", DevCertificates.LOOPBACK_NAMES, Duration.ofDays(1), Set.of(Usage.SERVER, Usage.CLIENT));

        assertThatThrownBy(() -> LoopbackTls.handshake(
                        LoadedPem.context(impostor.certificate(), impostor.privateKey(), other.certificate()),
                        trustingOnly(ca),
                        false))
                .isInstanceOf(SSLHandshakeException.class)
                .hasStackTraceContaining("unable to find valid certification path");
    }

    @Test
    void expiredNodeCertificateIsRefused() throws Exception {
        DevCa devCa = DevCa.create("expiring CA", Duration.ofDays(30));
        Instant now = Instant.now();
        IssuedCertificate expired = devCa.issue(
                "primary",
                DevCertificates.LOOPBACK_NAMES,
                now.minus(Duration.ofDays(10)),
                now.minus(Duration.ofDays(1)),
                Set.of(Usage.SERVER));

        assertThatThrownBy(() -> LoopbackTls.handshake(
                        LoadedPem.context(expired.certificate(), expired.privateKey(), devCa.certificate()),
                        trustingOnly(devCa.certificate()),
                        false))
                .isInstanceOf(SSLHandshakeException.class)
                .hasRootCauseInstanceOf(CertificateExpiredException.class);
    }

    @Test
    void certificateWithoutTheDialledAddressIsRefused() {
        DevCa devCa = DevCa.create("naming CA", Duration.ofDays(1));
        IssuedCertificate elsewhere =
                devCa.issue("elsewhere", List.of("pbkv.test", "127.0.0.2"), Duration.ofDays(1), Set.of(Usage.SERVER));

        assertThatThrownBy(() -> LoopbackTls.handshake(
                        LoadedPem.context(elsewhere.certificate(), elsewhere.privateKey(), devCa.certificate()),
                        trustingOnly(devCa.certificate()),
                        false))
                .isInstanceOf(SSLHandshakeException.class)
                .hasStackTraceContaining("127.0.0.1");
    }

    @Test
    void clientOnlyCertificateCannotServe() {
        assertThatThrownBy(() -> LoopbackTls.handshake(LoadedPem.context(dir, "client"), trustingOnly(ca), false))
                .isInstanceOf(SSLHandshakeException.class)
                .hasStackTraceContaining("server authentication");
    }
}
