package dev.pbkv.server.tls;

import java.io.IOException;
import java.nio.file.Path;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.util.Objects;

/** A certificate and its private key, as a development CA issued them. */
public record IssuedCertificate(X509Certificate certificate, PrivateKey privateKey) {
    public IssuedCertificate {
        Objects.requireNonNull(certificate, "certificate");
        Objects.requireNonNull(privateKey, "privateKey");
    }

    /**
     * Writes the certificate (PEM "CERTIFICATE") and the key (unencrypted PKCS#8, PEM "PRIVATE KEY",
     * the form Netty's {@code SslContextBuilder.forServer(File, File)} reads; 0600 where the file
     * system has POSIX permissions). Refuses a file that exists unless {@code overwrite}.
     */
    public void writePem(Path certificateFile, Path keyFile, boolean overwrite) throws IOException {
        PemFiles.writeCertificate(certificateFile, certificate, overwrite);
        PemFiles.writePrivateKey(keyFile, privateKey, overwrite);
    }
}
