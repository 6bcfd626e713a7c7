package dev.pbkv.tester.config;

import java.nio.file.Path;

/**
 * TLS to the nodes: trust {@code caFile} (PEM; null: the JDK's default trust store) and, for a
 * node with {@code tls.client-auth}, present {@code certFile} with {@code keyFile} (PEM, the key
 * PKCS#8, as {@code bin/pbkv certs} writes them). Both or neither of the last two.
 */
public record TlsFiles(Path caFile, Path certFile, Path keyFile) {

    public TlsFiles {
        if ((certFile == null) != (keyFile == null)) {
            throw new IllegalArgumentException("a client certificate needs both its certificate and its key file");
        }
    }

    /** Trusts caFile, presents no certificate. */
    public static TlsFiles trusting(Path caFile) {
        return new TlsFiles(caFile, null, null);
    }

    public boolean presentsCertificate() {
        return certFile != null;
    }
}
