package dev.pbkv.server.tls;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.Base64;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;

/** Reads the PEM files back with the JDK alone, as a program that never saw BouncyCastle would. */
final class LoadedPem {
    private static final char[] NO_PASSWORD = new char[0];

    private LoadedPem() {}

    static X509Certificate certificate(Path file) throws IOException, GeneralSecurityException {
        try (InputStream in = Files.newInputStream(file)) {
            return (X509Certificate) CertificateFactory.getInstance("X.509").generateCertificate(in);
        }
    }

    /** A PEM "PRIVATE KEY" (PKCS#8) holding an EC key. */
    static PrivateKey privateKey(Path file) throws IOException, GeneralSecurityException {
        String pem = Files.readString(file, StandardCharsets.US_ASCII);
        String base64 = pem.replace("-----BEGIN PRIVATE KEY-----", "")
                .replace("-----END PRIVATE KEY-----", "")
                .replaceAll("\\s", "");
        return KeyFactory.getInstance("EC")
                .generatePrivate(new PKCS8EncodedKeySpec(Base64.getDecoder().decode(base64)));
    }

    /** An SSL context that presents {@code certificate} and {@code key} and trusts {@code trusted}. */
    static SSLContext context(X509Certificate certificate, PrivateKey key, X509Certificate trusted)
            throws IOException, GeneralSecurityException {
        KeyManagerFactory keys = null;
        if (certificate != null) {
            KeyStore store = KeyStore.getInstance("PKCS12");
            store.load(null, null);
            store.setKeyEntry("self", key, NO_PASSWORD, new Certificate[] {certificate});
            keys = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
            keys.init(store, NO_PASSWORD);
        }
        KeyStore trust = KeyStore.getInstance("PKCS12");
        trust.load(null, null);
        trust.setCertificateEntry("ca", trusted);
        TrustManagerFactory trustManagers = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        trustManagers.init(trust);
        SSLContext context = SSLContext.getInstance("TLS");
        context.init(keys == null ? null : keys.getKeyManagers(), trustManagers.getTrustManagers(), null);
        return context;
    }

    /** The context of node or client {@code name} in {@code dir}, trusting that directory's CA. */
    static SSLContext context(Path dir, String name) throws IOException, GeneralSecurityException {
        return context(
                certificate(DevCertificates.certificateFile(dir, name)),
                privateKey(DevCertificates.keyFile(dir, name)),
                certificate(DevCertificates.certificateFile(dir, DevCertificates.CA)));
    }
}
