package dev.pbkv.tester.driver;

import static org.assertj.core.api.Assertions.assertThat;

import dev.pbkv.server.auth.PasswordHash;
import dev.pbkv.server.tls.DevCertificates;
import dev.pbkv.tester.config.ClientSecurity;
import dev.pbkv.tester.config.ConfigException;
import dev.pbkv.tester.config.Credentials;
import dev.pbkv.tester.config.DriverKind;
import dev.pbkv.tester.config.ServerConfig;
import dev.pbkv.tester.config.TestConfig;
import dev.pbkv.tester.config.TlsFiles;
import dev.pbkv.testkit.NodeProcess;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Both tester drivers against a real node process with a user and TLS on every door (loopback
 * only): with the test config's auth and tls blocks they insert and read; a wrong password or none
 * is the failure UNAUTHENTICATED, not a crash; without the CA the handshake fails and says so.
 */
class SecureDriversIT {
    private static final Duration DEADLINE = Duration.ofSeconds(10);

    @TempDir
    static Path dir;

    private static NodeProcess node;
    private static Path certs;
    private static Path ca;

    @BeforeAll
    static void startSecuredNode() throws IOException {
        certs = dir.resolve("certs");
        DevCertificates.write(
                certs,
                new DevCertificates.Request(DevCertificates.DEFAULT_NODES, List.of(), Duration.ofDays(1)),
                false);
        ca = DevCertificates.certificateFile(certs, DevCertificates.CA);
        Files.writeString(dir.resolve("app.password"), "app-pw\n");
        Path settings = dir.resolve("settings.conf");
        Files.writeString(
                settings,
                "{\"auth\": {\"failure-delay-ms\": 50, \"users\": {\"app\": {\"access\": \"write\","
                        + " \"password-hash\": \"" + PasswordHash.create("app-pw".toCharArray(), 1000) + "\"}}}}");
        NodeProcess.Builder b = NodeProcess.primary(dir.resolve("primary"))
                .args("--config", settings.toString())
                .tls(ca, DevCertificates.certificateFile(certs, "primary"), DevCertificates.keyFile(certs, "primary"));
        Path serverJar = Path.of("..", "server", "target", "pbkv-server.jar");
        if (Files.isRegularFile(serverJar)) {
            b.classpath(serverJar.toAbsolutePath().toString());
        }
        node = b.start();
    }

    @AfterAll
    static void stopNode() {
        if (node != null) {
            node.close(); // stops the node by its PID
        }
    }

    /** The node's addresses and this test config's auth and tls blocks, parsed as bin/test does. */
    private static TestConfig config(String blocks) throws ConfigException {
        String json = "{" + blocks + (blocks.isEmpty() ? "" : ", ") + "\"servers\": {\"primary\": {"
                + "\"grpc\": \"127.0.0.1:" + node.grpcPort() + "\", "
                + "\"http\": \"https://127.0.0.1:" + node.httpPort() + "\", \"start\": \"true\", \"stop\": \"true\"}}}";
        return TestConfig.parse("secure-test.conf", json, dir, Map.of());
    }

    private static final String AUTH_AND_TLS = "\"auth\": {\"user\": \"app\", \"password_file\": \"app.password\"},"
            + " \"tls\": {\"ca_file\": \"certs/ca.pem\"}";

    private static Driver open(DriverKind kind, TestConfig c) {
        ServerConfig s = c.servers().get("primary");
        return Drivers.open(kind, s, DEADLINE, c.raise("request_ms"), new NodeConnector(c.security()));
    }

    private static Driver open(DriverKind kind, ClientSecurity security) throws ConfigException {
        ServerConfig s = config("").servers().get("primary");
        return Drivers.open(kind, s, DEADLINE, "hint", new NodeConnector(security));
    }

    @Test
    void grpcDriverWithTheConfigsCredentialsAndCaWritesAndReads() throws ConfigException {
        try (Driver d = open(DriverKind.GRPC, config(AUTH_AND_TLS))) {
            assertThat(d.insert("grpc:k", "v1")).isEqualTo(new OpResult.Done());
            assertThat(d.get("grpc:k")).isEqualTo(new OpResult.Value("v1"));
            assertThat(d.put("grpc:k", "v2")).isEqualTo(new OpResult.Done());
            assertThat(d.get("grpc:k")).isEqualTo(new OpResult.Value("v2"));
            assertThat(d.status()).isInstanceOf(OpResult.Status.class);
        }
    }

    @Test
    void httpDriverWithTheConfigsCredentialsAndCaWritesAndReadsOverHttps() throws ConfigException {
        try (Driver d = open(DriverKind.HTTP, config(AUTH_AND_TLS))) {
            assertThat(d.insert("http:k", "v1")).isEqualTo(new OpResult.Done());
            assertThat(d.get("http:k")).isEqualTo(new OpResult.Value("v1"));
            assertThat(d.get("http:absent")).isEqualTo(new OpResult.Missing());
            assertThat(d.count()).isInstanceOf(OpResult.Count.class);
            assertThat(d.status()).isInstanceOf(OpResult.Status.class);
        }
    }

    @Test
    void aClientCertificateFromTheConfigLoadsAndIsAccepted() throws ConfigException {
        String blocks = "\"auth\": {\"user\": \"app\", \"password_file\": \"app.password\"},"
                + " \"tls\": {\"ca_file\": \"certs/ca.pem\", \"cert_file\": \"certs/client.pem\","
                + " \"key_file\": \"certs/client-key.pem\"}";
        for (DriverKind kind : DriverKind.values()) {
            try (Driver d = open(kind, config(blocks))) {
                assertThat(d.put("cert:" + kind, "v")).isEqualTo(new OpResult.Done());
            }
        }
    }

    @Test
    void aWrongPasswordIsUnauthenticatedAtBothDoors() throws ConfigException {
        ClientSecurity wrong =
                new ClientSecurity(new Credentials("app", "not-the-password", "test"), TlsFiles.trusting(ca));
        for (DriverKind kind : DriverKind.values()) {
            try (Driver d = open(kind, wrong)) {
                OpResult r = d.insert("wrong:" + kind, "v");
                assertThat(r).isInstanceOf(OpResult.Failed.class);
                assertThat(((OpResult.Failed) r).code()).as(kind.name()).isEqualTo(FailureCode.UNAUTHENTICATED);
                assertThat(((OpResult.Failed) r).message()).doesNotContain("not-the-password");
            }
        }
        try (Driver right = open(DriverKind.GRPC, config(AUTH_AND_TLS))) {
            assertThat(right.get("wrong:GRPC")).isEqualTo(new OpResult.Missing()); // refused, not applied
        }
    }

    @Test
    void noCredentialsIsUnauthenticatedAtBothDoors() throws ConfigException {
        ClientSecurity tlsOnly = new ClientSecurity(null, TlsFiles.trusting(ca));
        for (DriverKind kind : DriverKind.values()) {
            try (Driver d = open(kind, tlsOnly)) {
                OpResult r = d.get("k");
                assertThat(r).isInstanceOf(OpResult.Failed.class);
                assertThat(((OpResult.Failed) r).code()).as(kind.name()).isEqualTo(FailureCode.UNAUTHENTICATED);
            }
        }
    }

    @Test
    void withoutTheCaTheHandshakeFailsAndSaysTls() throws ConfigException {
        // tls with no ca_file trusts only the JDK's default store, which lacks the development CA.
        ClientSecurity noCa =
                new ClientSecurity(new Credentials("app", "app-pw", "test"), new TlsFiles(null, null, null));
        for (DriverKind kind : DriverKind.values()) {
            try (Driver d = open(kind, noCa)) {
                OpResult r = d.insert("noca:" + kind, "v");
                assertThat(r).isInstanceOf(OpResult.Failed.class);
                OpResult.Failed f = (OpResult.Failed) r;
                assertThat(f.code()).as(kind.name()).isEqualTo(FailureCode.UNAVAILABLE);
                assertThat(f.message())
                        .as(kind.name())
                        .startsWith("TLS handshake failed: ")
                        .contains("tls.ca_file");
            }
        }
    }

    @Test
    void theLoadGeneratorDrivesTheSecuredNodeWithItsTlsAndUserOptions() {
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
        java.io.ByteArrayOutputStream err = new java.io.ByteArrayOutputStream();
        int code = dev.pbkv.tester.load.LoadGenerator.run(
                new java.io.PrintStream(out, true),
                new java.io.PrintStream(err, true),
                false,
                "--server",
                "127.0.0.1:" + node.grpcPort(),
                "--tls-ca",
                ca.toString(),
                "--user",
                "app",
                "--password-file",
                dir.resolve("app.password").toString(),
                "--keys",
                "50",
                "--concurrency",
                "2",
                "--duration",
                "1",
                "--warmup",
                "0",
                "--out-dir",
                dir.resolve("bench").toString());
        assertThat(code).as(err.toString()).isZero();
        assertThat(out.toString()).contains("errors 0 ");
        assertThat(out.toString() + err).doesNotContain("app-pw");
    }

    @Test
    void aPlaintextDriverGetsNoAnswerButDoesNotCrash() {
        try (Driver d = new GrpcDriver("127.0.0.1:" + node.grpcPort(), Duration.ofSeconds(2))) {
            OpResult r = d.insert("plain", "v");
            assertThat(r).isInstanceOf(OpResult.Failed.class);
            assertThat(((OpResult.Failed) r).unreachable()).isTrue();
        }
        try (Driver d = new HttpDriver("http://127.0.0.1:" + node.httpPort(), Duration.ofSeconds(2))) {
            assertThat(d.insert("plain", "v")).isInstanceOf(OpResult.Failed.class);
        }
    }
}
