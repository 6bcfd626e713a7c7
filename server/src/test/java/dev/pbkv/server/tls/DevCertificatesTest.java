package dev.pbkv.server.tls;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Objects;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DevCertificatesTest {
    private static final String SERVER_AUTH = "1.3.6.1.5.5.7.3.1";
    private static final String CLIENT_AUTH = "1.3.6.1.5.5.7.3.2";
    private static final int DNS = 2;
    private static final int IP = 7;
    private static final int KEY_CERT_SIGN = 5;
    private static final int CRL_SIGN = 6;
    private static final int DIGITAL_SIGNATURE = 0;

    @TempDir
    Path dir;

    private static DevCertificates.Request defaults() {
        return new DevCertificates.Request(DevCertificates.DEFAULT_NODES, List.of(), Duration.ofDays(365));
    }

    @Test
    void writesTheCaTheTwoNodesAndAClient() throws Exception {
        List<Path> written = DevCertificates.write(dir.resolve("certs"), defaults(), false);

        assertThat(written)
                .extracting(path -> path.getFileName().toString())
                .containsExactly(
                        "ca.pem",
                        "ca-key.pem",
                        "primary.pem",
                        "primary-key.pem",
                        "backup.pem",
                        "backup-key.pem",
                        "client.pem",
                        "client-key.pem");
        assertThat(written).allSatisfy(file -> assertThat(file).isRegularFile());
    }

    @Test
    void caIsASelfSignedCertificateAuthority() throws Exception {
        DevCertificates.write(dir, defaults(), false);
        X509Certificate ca = LoadedPem.certificate(dir.resolve("ca.pem"));

        ca.verify(ca.getPublicKey());
        assertThat(ca.getBasicConstraints()).isGreaterThanOrEqualTo(0);
        assertThat(ca.getKeyUsage()[KEY_CERT_SIGN]).isTrue();
        assertThat(ca.getKeyUsage()[CRL_SIGN]).isTrue();
        assertThat(ca.getCriticalExtensionOIDs()).contains("2.5.29.19", "2.5.29.15");
        assertThat(ca.getSigAlgName()).isEqualTo("SHA256withECDSA");
        assertThat(LoadedPem.privateKey(dir.resolve("ca-key.pem")).getAlgorithm())
                .isEqualTo("EC");
    }

    @Test
    void nodeCertificatesAreSignedByTheCaForServersAndClientsOnLoopback() throws Exception {
        DevCertificates.write(dir, defaults(), false);
        X509Certificate ca = LoadedPem.certificate(dir.resolve("ca.pem"));

        for (String node : List.of("primary", "backup")) {
            X509Certificate certificate = LoadedPem.certificate(dir.resolve(node + ".pem"));
            certificate.verify(ca.getPublicKey());
            certificate.checkValidity();
            assertThat(certificate.getIssuerX500Principal()).isEqualTo(ca.getSubjectX500Principal());
            assertThat(certificate.getSubjectX500Principal().getName()).contains("CN=" + node);
            assertThat(certificate.getBasicConstraints()).isEqualTo(-1);
            assertThat(certificate.getKeyUsage()[DIGITAL_SIGNATURE]).isTrue();
            assertThat(certificate.getExtendedKeyUsage()).containsExactlyInAnyOrder(SERVER_AUTH, CLIENT_AUTH);
            assertThat(certificate.getSubjectAlternativeNames())
                    .containsExactlyInAnyOrder(
                            List.of(DNS, "localhost"), List.of(IP, "127.0.0.1"), List.of(IP, "0:0:0:0:0:0:0:1"));
            assertThat(certificate.getSigAlgName()).isEqualTo("SHA256withECDSA");
        }
    }

    @Test
    void clientCertificateIsForClientAuthenticationOnly() throws Exception {
        DevCertificates.write(dir, defaults(), false);
        X509Certificate client = LoadedPem.certificate(dir.resolve("client.pem"));

        client.verify(LoadedPem.certificate(dir.resolve("ca.pem")).getPublicKey());
        assertThat(client.getExtendedKeyUsage()).containsExactly(CLIENT_AUTH);
    }

    @Test
    void certificatesAreValidForTheRequestedDaysFromAboutNow() throws Exception {
        Instant before = Instant.now();
        DevCertificates.write(
                dir, new DevCertificates.Request(List.of("primary"), List.of(), Duration.ofDays(30)), false);

        for (String name : List.of("ca", "primary", "client")) {
            X509Certificate certificate = LoadedPem.certificate(dir.resolve(name + ".pem"));
            assertThat(certificate.getNotBefore().toInstant()).isBefore(before);
            assertThat(certificate.getNotAfter().toInstant())
                    .isCloseTo(before.plus(30, ChronoUnit.DAYS), within(1, ChronoUnit.MINUTES));
        }
    }

    @Test
    void serialsAreRandomAndDistinct() throws Exception {
        DevCertificates.write(dir, defaults(), false);

        assertThat(List.of("ca", "primary", "backup", "client").stream()
                        .map(name -> {
                            try {
                                return LoadedPem.certificate(dir.resolve(name + ".pem"))
                                        .getSerialNumber();
                            } catch (Exception e) {
                                throw new AssertionError(e);
                            }
                        })
                        .filter(Objects::nonNull)
                        .distinct())
                .hasSize(4)
                .allSatisfy(serial -> assertThat(serial.bitLength()).isGreaterThan(64));
    }

    @Test
    void extraHostsAreAddedAsIpAddressesOrDnsNames() throws Exception {
        DevCertificates.write(
                dir,
                new DevCertificates.Request(
                        List.of("node-a"), List.of("127.0.0.2", "pbkv.test", "fd00::1"), Duration.ofDays(1)),
                false);

        assertThat(LoadedPem.certificate(dir.resolve("node-a.pem")).getSubjectAlternativeNames())
                .contains(
                        List.of(DNS, "localhost"),
                        List.of(IP, "127.0.0.1"),
                        List.of(IP, "127.0.0.2"),
                        List.of(DNS, "pbkv.test"))
                .contains(List.of(IP, "fd00:0:0:0:0:0:0:1"))
                .hasSize(6);
    }

    @Test
    void keysArePkcs8PemReadableByTheOwnerOnly() throws Exception {
        DevCertificates.write(dir, defaults(), false);

        for (String name : List.of("ca", "primary", "backup", "client")) {
            Path key = dir.resolve(name + "-key.pem");
            assertThat(Files.readString(key))
                    .startsWith("-----BEGIN PRIVATE KEY-----")
                    .contains("-----END PRIVATE KEY-----");
            if (PemFiles.supportsPosix(key)) {
                assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(key)))
                        .isEqualTo("rw-------");
            }
        }
        assertThat(Files.readString(dir.resolve("primary.pem"))).startsWith("-----BEGIN CERTIFICATE-----");
    }

    @Test
    void nettyLoadsTheServerKeyAndTrustsTheCa() throws Exception {
        DevCertificates.write(dir, defaults(), false);

        SslContext server = SslContextBuilder.forServer(
                        dir.resolve("primary.pem").toFile(),
                        dir.resolve("primary-key.pem").toFile())
                .build();
        SslContext client = SslContextBuilder.forClient()
                .trustManager(dir.resolve("ca.pem").toFile())
                .keyManager(
                        dir.resolve("client.pem").toFile(),
                        dir.resolve("client-key.pem").toFile())
                .build();

        assertThat(server.isServer()).isTrue();
        assertThat(client.isClient()).isTrue();
    }

    @Test
    void refusesToOverwriteAnyFileWithoutForce() throws Exception {
        Files.writeString(dir.resolve("backup-key.pem"), "mine");

        assertThatThrownBy(() -> DevCertificates.write(dir, defaults(), false))
                .isInstanceOf(FileAlreadyExistsException.class)
                .hasMessageContaining("backup-key.pem");
        assertThat(dir.resolve("ca.pem")).doesNotExist();
        assertThat(dir.resolve("backup-key.pem")).hasContent("mine");
    }

    @Test
    void forceOverwritesWithANewCaAndKeepsKeysPrivate() throws Exception {
        DevCertificates.write(dir, defaults(), false);
        X509Certificate first = LoadedPem.certificate(dir.resolve("ca.pem"));
        Files.setPosixFilePermissions(dir.resolve("primary-key.pem"), PosixFilePermissions.fromString("rw-r--r--"));

        DevCertificates.write(dir, defaults(), true);

        X509Certificate second = LoadedPem.certificate(dir.resolve("ca.pem"));
        assertThat(second.getSerialNumber()).isNotEqualTo(first.getSerialNumber());
        LoadedPem.certificate(dir.resolve("primary.pem")).verify(second.getPublicKey());
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(dir.resolve("primary-key.pem"))))
                .isEqualTo("rw-------");
    }

    @Test
    void badNamesAreRefusedBeforeAnythingIsWritten() {
        assertThatThrownBy(() -> new DevCertificates.Request(List.of("ca"), List.of(), Duration.ofDays(1)))
                .hasMessageContaining("ca.pem");
        assertThatThrownBy(() -> new DevCertificates.Request(List.of("../up"), List.of(), Duration.ofDays(1)))
                .hasMessageContaining("../up");
        assertThatThrownBy(() -> new DevCertificates.Request(List.of("a"), List.of("not a host"), Duration.ofDays(1)))
                .hasMessageContaining("'not a host'");
        assertThatThrownBy(() -> new DevCertificates.Request(List.of("a"), List.of(), Duration.ZERO))
                .hasMessageContaining("validity");
    }
}
