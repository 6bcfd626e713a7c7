package dev.pbkv.tester.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The test config's auth and tls blocks: what they give the drivers, and what they refuse. */
class ClientSecurityConfigTest {
    private static final String SECRET = "s3cret-Pa55";
    private static final String SERVERS = "\"servers\": {\"primary\": {\"grpc\": \"127.0.0.1:7001\"}}";

    @TempDir
    Path root;

    @BeforeEach
    void files() throws IOException {
        Files.writeString(root.resolve("app.password"), SECRET + "\nsecond line ignored\n");
        Files.writeString(root.resolve("empty.password"), "\n");
        Files.createDirectories(root.resolve("certs"));
        for (String f : new String[] {"ca.pem", "client.pem", "client-key.pem"}) {
            Files.writeString(root.resolve("certs").resolve(f), "pem");
        }
    }

    private TestConfig parse(String blocks, Map<String, String> env) throws ConfigException {
        return TestConfig.parse("t.conf", "{" + blocks + ", " + SERVERS + "}", root, env);
    }

    private TestConfig parse(String blocks) throws ConfigException {
        return parse(blocks, Map.of());
    }

    @Test
    void withoutBlocksNothingIsSentAndTheLinkIsPlain() throws ConfigException {
        TestConfig c = TestConfig.parse("t.conf", "{" + SERVERS + "}", root, Map.of());
        assertThat(c.security()).isEqualTo(ClientSecurity.NONE);
        assertThat(c.security().usesTls()).isFalse();
    }

    @Test
    void passwordFileGivesItsFirstLine() throws ConfigException {
        ClientSecurity s = parse("\"auth\": {\"user\": \"app\", \"password_file\": \"app.password\"}")
                .security();
        assertThat(s.credentials().user()).isEqualTo("app");
        assertThat(s.credentials().password()).isEqualTo(SECRET);
        assertThat(s.credentials().basicAuthorization())
                .isEqualTo("Basic " + java.util.Base64.getEncoder().encodeToString(("app:" + SECRET).getBytes()));
        assertThat(s.tls()).isNull();
    }

    @Test
    void passwordEnvNamesTheVariable() throws ConfigException {
        ClientSecurity s = parse(
                        "\"auth\": {\"user\": \"app\", \"password_env\": \"APP_PW\"}",
                        Map.of("APP_PW", SECRET, "PBKV_PASSWORD", "other"))
                .security();
        assertThat(s.credentials().password()).isEqualTo(SECRET);
    }

    @Test
    void withoutASourceThePasswordComesFromPbkvPassword() throws ConfigException {
        ClientSecurity s = parse("\"auth\": {\"user\": \"app\"}", Map.of("PBKV_PASSWORD", SECRET))
                .security();
        assertThat(s.credentials().password()).isEqualTo(SECRET);
    }

    @Test
    void thePasswordIsNeverShown() throws ConfigException {
        TestConfig c = parse("\"auth\": {\"user\": \"app\", \"password_file\": \"app.password\"}");
        assertThat(c.toString()).doesNotContain(SECRET).contains("user=app").contains("hidden");
        assertThat(c.security().toString()).doesNotContain(SECRET);
        assertThat(c.security().credentials().toString()).doesNotContain(SECRET);
    }

    @Test
    void anInlinePasswordIsRefusedWithoutRepeatingIt() {
        assertThatThrownBy(() -> parse("\"auth\": {\"user\": \"app\", \"password\": \"" + SECRET + "\"}"))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("t.conf: auth.password:")
                .hasMessageContaining("auth.password_file")
                .message()
                .doesNotContain(SECRET);
    }

    @Test
    void badAuthBlocksNameTheirKey() {
        assertThatThrownBy(() -> parse("\"auth\": \"app\"")).hasMessageStartingWith("t.conf: auth: expected an object");
        assertThatThrownBy(() -> parse("\"auth\": {\"password_file\": \"app.password\"}"))
                .hasMessageStartingWith("t.conf: auth.user: expected a non-empty user name");
        assertThatThrownBy(() -> parse("\"auth\": {\"user\": \"a:b\", \"password_file\": \"app.password\"}"))
                .hasMessageStartingWith("t.conf: auth.user: expected a non-empty user name without ':'");
        assertThatThrownBy(() -> parse("\"auth\": {\"user\": 7, \"password_file\": \"app.password\"}"))
                .hasMessageStartingWith("t.conf: auth.user: expected a string");
        assertThatThrownBy(() -> parse("\"auth\": {\"user\": \"app\", \"pasword_file\": \"app.password\"}"))
                .hasMessageStartingWith(
                        "t.conf: auth.pasword_file: unknown key (known: password_env," + " password_file, user)");
        assertThatThrownBy(() -> parse(
                        "\"auth\": {\"user\": \"app\", \"password_file\": \"app.password\", \"password_env\": \"X\"}"))
                .hasMessageStartingWith("t.conf: auth.password_file and auth.password_env: expected one");
        assertThatThrownBy(() -> parse("\"auth\": {\"user\": \"app\", \"password_file\": \"nope.password\"}"))
                .hasMessageStartingWith("t.conf: auth.password_file: cannot read " + root.resolve("nope.password"));
        assertThatThrownBy(() -> parse("\"auth\": {\"user\": \"app\", \"password_file\": \"empty.password\"}"))
                .hasMessageStartingWith("t.conf: auth.password_file: the first line of")
                .hasMessageContaining("is empty");
        assertThatThrownBy(() -> parse("\"auth\": {\"user\": \"app\", \"password_env\": \"APP_PW\"}"))
                .hasMessageStartingWith("t.conf: auth.password_env: user app needs a password, and $APP_PW is not set");
        assertThatThrownBy(() -> parse("\"auth\": {\"user\": \"app\"}"))
                .hasMessageStartingWith("t.conf: auth: user app needs a password, and $PBKV_PASSWORD is not set")
                .hasMessageContaining("auth.password_file");
    }

    @Test
    void tlsBlockTrustsTheCaAndMayPresentACertificate() throws ConfigException {
        TlsFiles t =
                parse("\"tls\": {\"ca_file\": \"certs/ca.pem\"}").security().tls();
        assertThat(t).isEqualTo(TlsFiles.trusting(root.resolve("certs/ca.pem")));
        assertThat(t.presentsCertificate()).isFalse();

        TlsFiles mutual = parse("\"tls\": {\"ca_file\": \"certs/ca.pem\", \"cert_file\": \"certs/client.pem\","
                        + " \"key_file\": \"certs/client-key.pem\"}")
                .security()
                .tls();
        assertThat(mutual.certFile()).isEqualTo(root.resolve("certs/client.pem"));
        assertThat(mutual.keyFile()).isEqualTo(root.resolve("certs/client-key.pem"));
    }

    @Test
    void badTlsBlocksNameTheirKey() {
        assertThatThrownBy(() -> parse("\"tls\": true")).hasMessageStartingWith("t.conf: tls: expected an object");
        assertThatThrownBy(() -> parse("\"tls\": {\"ca-file\": \"certs/ca.pem\"}"))
                .hasMessageStartingWith("t.conf: tls.ca-file: unknown key (known: ca_file, cert_file, key_file)");
        assertThatThrownBy(() -> parse("\"tls\": {\"ca_file\": \"certs/none.pem\"}"))
                .hasMessage("t.conf: tls.ca_file: cannot read " + root.resolve("certs/none.pem"));
        assertThatThrownBy(() -> parse("\"tls\": {\"ca_file\": \"certs/ca.pem\", \"cert_file\": \"certs/client.pem\"}"))
                .hasMessageStartingWith("t.conf: tls.cert_file and tls.key_file: a client certificate needs both");
        assertThatThrownBy(() -> parse("\"tls\": {\"ca_file\": 1}"))
                .hasMessage("t.conf: tls.ca_file: expected a string");
    }

    @Test
    void withTlsAddressesFromTheSettingsAreHttps() throws ConfigException, IOException {
        Files.writeString(root.resolve("settings.conf"), """
                {"nodes": {"primary": {"host": "127.0.0.1", "grpc-port": 7101, "http-port": 8101}}}
                """);
        TestConfig c = TestConfig.parse(
                "t.conf",
                "{\"settings\": \"settings.conf\", \"tls\": {\"ca_file\": \"certs/ca.pem\"},"
                        + " \"servers\": {\"primary\": {}}}",
                root,
                Map.of());
        assertThat(c.servers().get("primary").http()).isEqualTo("https://127.0.0.1:8101");
        assertThat(c.servers().get("primary").grpc()).isEqualTo("127.0.0.1:7101");
    }

    @Test
    void withTlsAPlainHttpAddressIsRefused() {
        assertThatThrownBy(() -> TestConfig.parse(
                        "t.conf",
                        "{\"tls\": {\"ca_file\": \"certs/ca.pem\"}, \"servers\": {\"primary\": {\"http\":"
                                + " \"http://127.0.0.1:8001\"}}}",
                        root,
                        Map.of()))
                .hasMessageStartingWith("t.conf: servers.primary.http: the tls block is set")
                .hasMessageContaining("expected \"https://...\"");
    }
}
