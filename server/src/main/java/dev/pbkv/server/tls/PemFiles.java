package dev.pbkv.server.tls;

import java.io.IOException;
import java.io.StringWriter;
import java.nio.ByteBuffer;
import java.nio.channels.SeekableByteChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.OpenOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.PrivateKey;
import java.security.cert.CertificateEncodingException;
import java.security.cert.X509Certificate;
import java.util.Set;
import org.bouncycastle.util.io.pem.PemObject;
import org.bouncycastle.util.io.pem.PemWriter;

/** PEM files of certificates and keys; a key file is readable by its owner only. */
final class PemFiles {
    private static final Set<OpenOption> CREATE_NEW = Set.of(StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
    private static final FileAttribute<?> OWNER_ONLY =
            PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------"));

    private PemFiles() {}

    static void writeCertificate(Path file, X509Certificate certificate, boolean overwrite) throws IOException {
        byte[] der;
        try {
            der = certificate.getEncoded();
        } catch (CertificateEncodingException e) {
            throw new IllegalStateException("a certificate just built cannot be encoded", e);
        }
        write(file, pem("CERTIFICATE", der), overwrite, false);
    }

    /** The JDK encodes its private keys as PKCS#8, which is what PEM "PRIVATE KEY" holds. */
    static void writePrivateKey(Path file, PrivateKey key, boolean overwrite) throws IOException {
        if (!"PKCS#8".equals(key.getFormat())) {
            throw new IllegalArgumentException("not a PKCS#8 key: " + key.getFormat());
        }
        write(file, pem("PRIVATE KEY", key.getEncoded()), overwrite, true);
    }

    static boolean supportsPosix(Path file) {
        return file.getFileSystem().supportedFileAttributeViews().contains("posix");
    }

    private static byte[] pem(String type, byte[] der) throws IOException {
        StringWriter text = new StringWriter();
        try (PemWriter writer = new PemWriter(text)) {
            writer.writeObject(new PemObject(type, der));
        }
        return text.toString().getBytes(StandardCharsets.US_ASCII);
    }

    /**
     * Creates the file anew (an overwritten file is deleted first), so a key file has 0600 from the
     * moment it exists instead of being chmod-ed after its secret is in it.
     */
    private static void write(Path file, byte[] content, boolean overwrite, boolean secret) throws IOException {
        if (overwrite) {
            Files.deleteIfExists(file);
        } else if (Files.exists(file)) {
            throw new FileAlreadyExistsException(file.toString(), null, "exists (--force overwrites)");
        }
        FileAttribute<?>[] attributes =
                secret && supportsPosix(file) ? new FileAttribute<?>[] {OWNER_ONLY} : new FileAttribute<?>[0];
        try (SeekableByteChannel channel = Files.newByteChannel(file, CREATE_NEW, attributes)) {
            ByteBuffer buffer = ByteBuffer.wrap(content);
            while (buffer.hasRemaining()) {
                channel.write(buffer);
            }
        }
    }
}
