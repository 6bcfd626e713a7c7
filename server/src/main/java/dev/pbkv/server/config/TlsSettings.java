package dev.pbkv.server.config;

import java.nio.file.Path;
import java.util.List;

/**
 * The {@code tls} section (docs/security.md, "TLS"): one certificate, key and CA for every door and
 * for the traffic between the nodes. Off (plaintext, as before) while no certificate is named.
 *
 * @param certFile    PEM certificate chain of this node (null: TLS off)
 * @param keyFile     PEM private key of certFile, PKCS#8 (what {@code bin/pbkv certs} writes)
 * @param caFile      PEM CA certificates trusted for the peer's certificate and for client
 *                    certificates (null: the JDK's default trust store, and no client certificates)
 * @param clientAuth  client certificates at the doors: none, optional or require
 * @param mutualPeers the nodes present their certificates to each other, and the replication
 *                    service refuses a peer without one signed by caFile
 */
public record TlsSettings(Path certFile, Path keyFile, Path caFile, String clientAuth, boolean mutualPeers) {

    public static final List<String> CLIENT_AUTH_NAMES = List.of("none", "optional", "require");

    public static final TlsSettings OFF = new TlsSettings(null, null, null, "none", false);

    /** Whether the doors and the node-to-node traffic use TLS. */
    public boolean enabled() {
        return certFile != null;
    }
}
