package dev.pbkv.server.cli;

import dev.pbkv.server.tls.DevCertificates;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * Writes a development CA and node and client certificates for TLS (bin/pbkv certs DIR). Keys are
 * unencrypted: for development and tests, not for production.
 */
@Command(
        name = "certs",
        mixinStandardHelpOptions = true,
        sortOptions = false,
        description = {
            "Writes a development CA (ca.pem, ca-key.pem), a certificate and key per node (NAME.pem,"
                    + " NAME-key.pem; server and client authentication; names localhost, 127.0.0.1, ::1"
                    + " and each --host) and a client certificate (client.pem, client-key.pem) into DIR.",
            "Keys are EC P-256, unencrypted PKCS#8, mode 0600: for development only (docs/security.md)."
        },
        exitCodeListHeading = "Exit codes:%n",
        exitCodeList = {"0:written", "1:a file exists (use --force) or cannot be written", "2:bad options"})
public final class CertsCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Parameters(index = "0", paramLabel = "DIR", description = "Directory to write into (created if missing).")
    Path dir;

    @Option(
            names = "--node",
            paramLabel = "NAME",
            description = "A node certificate to make; repeatable (default: primary and backup).")
    List<String> nodes = new ArrayList<>();

    @Option(
            names = "--host",
            paramLabel = "H",
            description = "An extra name in the node certificates, an IP address or a DNS name; repeatable.")
    List<String> hosts = new ArrayList<>();

    @Option(
            names = "--days",
            defaultValue = "365",
            description = "Days every certificate is valid (default ${DEFAULT-VALUE}).")
    int days;

    @Option(names = "--force", description = "Overwrite files that exist.")
    boolean force;

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        DevCertificates.Request request;
        try {
            if (days < 1) {
                throw new IllegalArgumentException("--days must be at least 1");
            }
            request = new DevCertificates.Request(
                    nodes.isEmpty() ? DevCertificates.DEFAULT_NODES : nodes, hosts, Duration.ofDays(days));
        } catch (IllegalArgumentException e) {
            err.println("certs: " + e.getMessage());
            return 2;
        }
        List<Path> written;
        try {
            written = DevCertificates.write(dir, request, force);
        } catch (FileAlreadyExistsException e) {
            err.println("certs: " + e.getFile() + " exists; nothing was written (--force overwrites)");
            return 1;
        } catch (IOException e) {
            err.println("certs: cannot write " + dir + ": " + e);
            return 1;
        }
        for (Path file : written) {
            out.println("wrote " + file);
        }
        Path ca = DevCertificates.certificateFile(dir, DevCertificates.CA);
        out.println("development only (keys unencrypted); clients trust " + ca + ", e.g. redis-cli --tls --cacert " + ca
                + " or curl --cacert " + ca + " https://127.0.0.1:PORT/health");
        return 0;
    }
}
