package dev.pbkv.server.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.pbkv.server.Main;
import java.io.InputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

class CertsCommandTest {
    @TempDir
    Path tmp;

    private final StringWriter out = new StringWriter();
    private final StringWriter err = new StringWriter();

    private int run(String... args) {
        CommandLine cli = Main.commandLine(args);
        cli.setOut(new PrintWriter(out, true));
        cli.setErr(new PrintWriter(err, true));
        return cli.execute(args);
    }

    private static X509Certificate certificate(Path file) throws Exception {
        try (InputStream in = Files.newInputStream(file)) {
            return (X509Certificate) CertificateFactory.getInstance("X.509").generateCertificate(in);
        }
    }

    @Test
    void writesTheDefaultSetIntoANewDirectoryAndSaysHowToUseIt() throws Exception {
        Path dir = tmp.resolve("new/certs");

        assertThat(run("certs", dir.toString())).isZero();

        for (String name : List.of("ca", "primary", "backup", "client")) {
            assertThat(dir.resolve(name + ".pem")).isRegularFile();
            assertThat(dir.resolve(name + "-key.pem")).isRegularFile();
            assertThat(out.toString()).contains("wrote " + dir.resolve(name + "-key.pem"));
        }
        assertThat(out.toString())
                .contains("redis-cli --tls --cacert " + dir.resolve("ca.pem"))
                .contains("curl --cacert " + dir.resolve("ca.pem") + " https://127.0.0.1:");
        assertThat(err.toString()).isEmpty();
    }

    @Test
    void secondRunWithoutForceRefusesAndNamesTheFile() throws Exception {
        Path dir = tmp.resolve("certs");
        assertThat(run("certs", dir.toString())).isZero();
        byte[] ca = Files.readAllBytes(dir.resolve("ca.pem"));

        assertThat(run("certs", dir.toString())).isEqualTo(1);

        assertThat(err.toString())
                .contains(dir.resolve("ca.pem") + " exists")
                .contains("nothing was written")
                .contains("--force");
        assertThat(dir.resolve("ca.pem")).hasBinaryContent(ca);
    }

    @Test
    void forceWritesANewSet() throws Exception {
        Path dir = tmp.resolve("certs");
        assertThat(run("certs", dir.toString())).isZero();
        X509Certificate first = certificate(dir.resolve("ca.pem"));

        assertThat(run("certs", "--force", dir.toString())).isZero();

        assertThat(certificate(dir.resolve("ca.pem")).getSerialNumber()).isNotEqualTo(first.getSerialNumber());
    }

    @Test
    void nodesHostsAndDaysAreTheOnesAsked() throws Exception {
        Path dir = tmp.resolve("certs");

        assertThat(run(
                        "certs",
                        "--node",
                        "n1",
                        "--node",
                        "n2",
                        "--host",
                        "127.0.0.5",
                        "--host",
                        "kv.pbkv.test",
                        "--days",
                        "7",
                        dir.toString()))
                .isZero();

        assertThat(dir.resolve("primary.pem")).doesNotExist();
        X509Certificate n2 = certificate(dir.resolve("n2.pem"));
        assertThat(n2.getSubjectAlternativeNames())
                .contains(List.of(7, "127.0.0.5"), List.of(2, "kv.pbkv.test"), List.of(2, "localhost"));
        assertThat(n2.getNotAfter().toInstant())
                .isBetween(Instant.now().plus(6, ChronoUnit.DAYS), Instant.now().plus(8, ChronoUnit.DAYS));
        assertThat(dir.resolve("n1-key.pem")).isRegularFile();
    }

    @Test
    void badOptionsExitTwoAndWriteNothing() {
        Path dir = tmp.resolve("certs");

        assertThat(run("certs", "--host", "no such host!", dir.toString())).isEqualTo(2);
        assertThat(err.toString()).contains("'no such host!'");
        assertThat(run("certs", "--days", "0", dir.toString())).isEqualTo(2);
        assertThat(run("certs", "--node", "ca", dir.toString())).isEqualTo(2);
        assertThat(dir).doesNotExist();
    }
}
