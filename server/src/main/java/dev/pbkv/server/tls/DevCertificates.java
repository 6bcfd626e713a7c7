package dev.pbkv.server.tls;

import java.io.IOException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * The files {@code bin/pbkv certs DIR} writes: a development CA ({@code ca.pem}, {@code
 * ca-key.pem}), one certificate per node ({@code NAME.pem}, {@code NAME-key.pem}) for serving and
 * for calling the peer (server and client authentication), and {@code client.pem} / {@code
 * client-key.pem} for a client of mutual TLS.
 */
public final class DevCertificates {
    public static final List<String> DEFAULT_NODES = List.of("primary", "backup");
    /** Every node certificate names these, so a pair on one machine verifies by host name. */
    public static final List<String> LOOPBACK_NAMES = List.of("localhost", "127.0.0.1", "::1");

    public static final String CA = "ca";
    public static final String CLIENT = "client";
    private static final Pattern NODE_NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,63}");

    private DevCertificates() {}

    /**
     * What to make: node names, extra host names or addresses for the node certificates, and how
     * long every certificate is valid.
     */
    public record Request(List<String> nodes, List<String> hosts, Duration validity) {
        public Request {
            nodes = List.copyOf(new LinkedHashSet<>(nodes));
            hosts = List.copyOf(hosts);
            if (nodes.isEmpty()) {
                throw new IllegalArgumentException("at least one node name is needed");
            }
            for (String node : nodes) {
                if (!NODE_NAME.matcher(node).matches()) {
                    throw new IllegalArgumentException(
                            "node name '" + node + "' must be letters, digits, '.', '_' or '-' (it names a file)");
                }
                if (node.equals(CA) || node.equals(CLIENT)) {
                    throw new IllegalArgumentException("node name '" + node + "' would overwrite " + node + ".pem");
                }
            }
            // Checked here, before anything is written: a bad host leaves no half-made directory.
            hosts.forEach(DevCa::generalName);
            if (validity.isNegative() || validity.isZero()) {
                throw new IllegalArgumentException("validity must be positive, not " + validity);
            }
        }

        /** The names in every node certificate: loopback first, then the extra hosts. */
        public List<String> subjectAltNames() {
            Set<String> names = new LinkedHashSet<>(LOOPBACK_NAMES);
            names.addAll(hosts);
            return List.copyOf(names);
        }
    }

    /** {@code NAME.pem} in {@code dir}. */
    public static Path certificateFile(Path dir, String name) {
        return dir.resolve(name + ".pem");
    }

    /** {@code NAME-key.pem} in {@code dir}. */
    public static Path keyFile(Path dir, String name) {
        return dir.resolve(name + "-key.pem");
    }

    /** Every file {@link #write} makes for {@code request}, certificate then key, CA first. */
    public static List<Path> files(Path dir, Request request) {
        List<Path> files = new ArrayList<>();
        for (String name : names(request)) {
            files.add(certificateFile(dir, name));
            files.add(keyFile(dir, name));
        }
        return files;
    }

    /**
     * Makes a new CA and its certificates in {@code dir} (created if missing) and returns the
     * files written. Without {@code overwrite}, refuses before writing anything when any of the
     * files exists.
     *
     * @throws FileAlreadyExistsException naming the first file that exists
     */
    public static List<Path> write(Path dir, Request request, boolean overwrite) throws IOException {
        List<Path> files = files(dir, request);
        if (!overwrite) {
            for (Path file : files) {
                if (Files.exists(file)) {
                    throw new FileAlreadyExistsException(file.toString(), null, "exists (--force overwrites)");
                }
            }
        }
        Files.createDirectories(dir);
        DevCa ca = DevCa.create("pbkv development CA", request.validity());
        ca.writePem(certificateFile(dir, CA), keyFile(dir, CA), overwrite);
        for (String node : request.nodes()) {
            ca.issue(node, request.subjectAltNames(), request.validity(), Set.of(Usage.SERVER, Usage.CLIENT))
                    .writePem(certificateFile(dir, node), keyFile(dir, node), overwrite);
        }
        ca.issue(CLIENT, List.of(), request.validity(), Set.of(Usage.CLIENT))
                .writePem(certificateFile(dir, CLIENT), keyFile(dir, CLIENT), overwrite);
        return files;
    }

    private static List<String> names(Request request) {
        List<String> names = new ArrayList<>();
        names.add(CA);
        names.addAll(request.nodes());
        names.add(CLIENT);
        return names;
    }
}
