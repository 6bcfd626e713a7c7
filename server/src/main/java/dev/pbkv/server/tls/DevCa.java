package dev.pbkv.server.tls;

import com.google.common.net.InetAddresses;
import java.io.IOException;
import java.math.BigInteger;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.regex.Pattern;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x500.X500NameBuilder;
import org.bouncycastle.asn1.x500.style.BCStyle;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.CertIOException;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509ExtensionUtils;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.ContentSigner;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

/**
 * A development certificate authority: a self-signed CA certificate and its key, which issues
 * node and client certificates for TLS on loopback or a test network. EC P-256 keys, SHA-256 with
 * ECDSA signatures, random 159-bit serials. Keys come from the JDK's providers and BouncyCastle
 * only builds and signs the X.509 structures, so no provider is registered (no global state).
 *
 * <p>For development only: {@code bin/pbkv certs} writes its key unencrypted. Tests use this class
 * directly for what the command does not make, such as an expired certificate or one of another CA.
 */
public final class DevCa {
    private static final String KEY_ALGORITHM = "EC";
    private static final String CURVE = "secp256r1";
    private static final String SIGNATURE = "SHA256withECDSA";
    private static final String ORGANIZATION = "pbkv development";
    /** Letters, digits and hyphens in dot-separated labels; "*." in front for a wildcard. */
    private static final Pattern DNS_NAME = Pattern.compile(
            "(\\*\\.)?[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?(\\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*");
    /** Backdating for clocks a little behind the one that issued. */
    static final Duration BACKDATE = Duration.ofMinutes(5);

    private final IssuedCertificate self;
    private final SecureRandom random;

    private DevCa(IssuedCertificate self, SecureRandom random) {
        this.self = self;
        this.random = random;
    }

    /** A new CA valid from a few minutes ago for {@code validity}. */
    public static DevCa create(String commonName, Duration validity) {
        Instant now = Instant.now();
        return create(commonName, now.minus(BACKDATE), now.plus(validity));
    }

    /** A new CA valid from {@code notBefore} to {@code notAfter} (both may be in the past). */
    public static DevCa create(String commonName, Instant notBefore, Instant notAfter) {
        SecureRandom random = new SecureRandom();
        KeyPair keys = newKeyPair(random);
        X500Name name = name(commonName);
        try {
            JcaX509ExtensionUtils extensions = new JcaX509ExtensionUtils();
            X509v3CertificateBuilder builder = builder(name, name, keys.getPublic(), notBefore, notAfter, random)
                    .addExtension(Extension.basicConstraints, true, new BasicConstraints(0))
                    .addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign))
                    .addExtension(
                            Extension.subjectKeyIdentifier,
                            false,
                            extensions.createSubjectKeyIdentifier(keys.getPublic()));
            X509Certificate certificate = sign(builder, keys.getPrivate());
            return new DevCa(new IssuedCertificate(certificate, keys.getPrivate()), random);
        } catch (GeneralSecurityException | CertIOException e) {
            throw new IllegalStateException("cannot build a CA certificate", e);
        }
    }

    /** The CA's own certificate: what a peer trusts ({@code ca.pem}). */
    public X509Certificate certificate() {
        return self.certificate();
    }

    /** The CA's certificate with its private key. */
    public IssuedCertificate asIssued() {
        return self;
    }

    /** A certificate valid from a few minutes ago for {@code validity}; see the other issue. */
    public IssuedCertificate issue(
            String commonName, List<String> subjectAltNames, Duration validity, Set<Usage> usages) {
        Instant now = Instant.now();
        return issue(commonName, subjectAltNames, now.minus(BACKDATE), now.plus(validity), usages);
    }

    /**
     * A certificate with a new key, signed by this CA. Each subject alternative name is an IP
     * address when it reads as one ({@code 127.0.0.1}, {@code ::1}) and a DNS name otherwise. The
     * dates are taken as given, so a test can make a certificate that has expired or is not yet
     * valid.
     *
     * @throws IllegalArgumentException for a name that is neither an IP address nor a DNS name, no
     *     usages, or {@code notAfter} before {@code notBefore}
     */
    public IssuedCertificate issue(
            String commonName, List<String> subjectAltNames, Instant notBefore, Instant notAfter, Set<Usage> usages) {
        if (usages.isEmpty()) {
            throw new IllegalArgumentException("a certificate needs at least one usage");
        }
        GeneralName[] names =
                subjectAltNames.stream().distinct().map(DevCa::generalName).toArray(GeneralName[]::new);
        KeyPair keys = newKeyPair(random);
        KeyPurposeId[] purposes =
                new LinkedHashSet<>(usages).stream().map(usage -> usage.purpose).toArray(KeyPurposeId[]::new);
        try {
            JcaX509ExtensionUtils extensions = new JcaX509ExtensionUtils();
            X509v3CertificateBuilder builder = builder(
                            name(commonName),
                            X500Name.getInstance(
                                    certificate().getSubjectX500Principal().getEncoded()),
                            keys.getPublic(),
                            notBefore,
                            notAfter,
                            random)
                    .addExtension(Extension.basicConstraints, true, new BasicConstraints(false))
                    .addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.digitalSignature))
                    .addExtension(Extension.extendedKeyUsage, false, new ExtendedKeyUsage(purposes))
                    .addExtension(
                            Extension.subjectKeyIdentifier,
                            false,
                            extensions.createSubjectKeyIdentifier(keys.getPublic()))
                    .addExtension(
                            Extension.authorityKeyIdentifier,
                            false,
                            extensions.createAuthorityKeyIdentifier(certificate()));
            if (names.length > 0) {
                builder.addExtension(Extension.subjectAlternativeName, false, new GeneralNames(names));
            }
            return new IssuedCertificate(sign(builder, self.privateKey()), keys.getPrivate());
        } catch (GeneralSecurityException | CertIOException e) {
            throw new IllegalStateException("cannot issue a certificate for " + commonName, e);
        }
    }

    /** Writes {@code ca.pem}-style certificate and key files; see {@link IssuedCertificate#writePem}. */
    public void writePem(Path certificateFile, Path keyFile, boolean overwrite) throws IOException {
        self.writePem(certificateFile, keyFile, overwrite);
    }

    /** True when {@code name} would go into a certificate as an IP address rather than a DNS name. */
    public static boolean isIpAddress(String name) {
        return InetAddresses.isInetAddress(name);
    }

    /** @throws IllegalArgumentException when {@code name} is neither an IP address nor a DNS name */
    static GeneralName generalName(String name) {
        Objects.requireNonNull(name, "subject alternative name");
        if (isIpAddress(name)) {
            return new GeneralName(GeneralName.iPAddress, name);
        }
        if (name.length() > 253 || !DNS_NAME.matcher(name).matches()) {
            throw new IllegalArgumentException("not an IP address or a DNS name: '" + name + "'");
        }
        return new GeneralName(GeneralName.dNSName, name);
    }

    private static X500Name name(String commonName) {
        if (commonName.isBlank()) {
            throw new IllegalArgumentException("a certificate needs a common name");
        }
        return new X500NameBuilder(BCStyle.INSTANCE)
                .addRDN(BCStyle.O, ORGANIZATION)
                .addRDN(BCStyle.CN, commonName)
                .build();
    }

    private static X509v3CertificateBuilder builder(
            X500Name subject,
            X500Name issuer,
            PublicKey key,
            Instant notBefore,
            Instant notAfter,
            SecureRandom random) {
        if (notAfter.isBefore(notBefore)) {
            throw new IllegalArgumentException("notAfter " + notAfter + " is before notBefore " + notBefore);
        }
        // Positive and at most 20 octets in DER (RFC 5280 4.1.2.2); 159 random bits are unique enough.
        BigInteger serial = new BigInteger(159, random).setBit(0);
        return new JcaX509v3CertificateBuilder(issuer, serial, Date.from(notBefore), Date.from(notAfter), subject, key);
    }

    private static X509Certificate sign(X509v3CertificateBuilder builder, PrivateKey signer)
            throws GeneralSecurityException {
        try {
            ContentSigner contentSigner = new JcaContentSignerBuilder(SIGNATURE).build(signer);
            return new JcaX509CertificateConverter().getCertificate(builder.build(contentSigner));
        } catch (OperatorCreationException e) {
            throw new GeneralSecurityException(e);
        }
    }

    private static KeyPair newKeyPair(SecureRandom random) {
        try {
            KeyPairGenerator generator = KeyPairGenerator.getInstance(KEY_ALGORITHM);
            generator.initialize(new ECGenParameterSpec(CURVE), random);
            return generator.generateKeyPair();
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("the JDK cannot make " + CURVE + " keys", e);
        }
    }
}
