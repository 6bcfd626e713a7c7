package dev.pbkv.server.auth;

import com.google.common.cache.Cache;
import com.google.common.cache.CacheBuilder;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * The secret both nodes of a pair hold ({@code auth.cluster-secret-file}) and prove to each other
 * on every node-to-node call (docs/security.md, "Between the nodes"). The secret never crosses the
 * network: a call carries {@code <node> <unix ms> <nonce> <HMAC-SHA256(secret, node, ms, nonce)>},
 * accepted within {@link #WINDOW} of the receiver's clock and once only (a proof replayed by
 * someone who saw it is refused).
 *
 * <p>Thread-safe: {@link #prove} and {@link #check} run on gRPC threads of both sides.
 */
public final class ClusterSecret {
    /** The gRPC metadata key the proof travels in. */
    public static final String METADATA_KEY = "pbkv-peer-proof";
    /** How far the sender's clock may be from the receiver's. */
    public static final Duration WINDOW = Duration.ofMinutes(5);
    /** Shorter secrets are refused at start: a guessable secret proves nothing. */
    public static final int MIN_BYTES = 16;

    private static final String ALGORITHM = "HmacSHA256";
    private static final SecureRandom RANDOM = new SecureRandom();

    private final SecretKeySpec key;
    /** Nonces accepted within the window; a proof seen again is a replay. Guava's cache is thread-safe. */
    private final Cache<String, Boolean> seen = CacheBuilder.newBuilder()
            .expireAfterWrite(WINDOW.multipliedBy(2))
            .maximumSize(1_000_000)
            .build();

    private ClusterSecret(byte[] secret) {
        this.key = new SecretKeySpec(secret, ALGORITHM);
    }

    /**
     * Reads the secret: the file's first line, trimmed. Throws IllegalArgumentException naming the
     * setting and the file when it cannot be read or is shorter than {@link #MIN_BYTES}; the
     * secret itself is never in a message.
     */
    public static ClusterSecret load(Path file) {
        List<String> lines;
        try {
            lines = Files.readAllLines(file, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new IllegalArgumentException(
                    "auth.cluster-secret-file " + file + " cannot be read: " + e.getMessage(), e);
        }
        String first = lines.isEmpty() ? "" : lines.get(0).strip();
        byte[] secret = first.getBytes(StandardCharsets.UTF_8);
        if (secret.length < MIN_BYTES) {
            throw new IllegalArgumentException("auth.cluster-secret-file " + file + ": the secret (its first line) has "
                    + secret.length + " bytes, at least " + MIN_BYTES + " are needed (make one with"
                    + " `openssl rand -base64 32 > FILE`, the same file on both nodes)");
        }
        return new ClusterSecret(secret);
    }

    /** The proof a call from nodeId carries now. */
    public String prove(String nodeId) {
        byte[] nonce = new byte[12];
        RANDOM.nextBytes(nonce);
        String n = HexFormat.of().formatHex(nonce);
        long now = System.currentTimeMillis();
        return nodeId + " " + now + " " + n + " " + mac(nodeId, now, n);
    }

    /** Null when proof is good at nowMillis (and records its nonce); otherwise why it is refused. */
    public String check(String proof, long nowMillis) {
        if (proof == null) {
            return "no " + METADATA_KEY + " metadata (the caller does not hold the cluster secret)";
        }
        String[] parts = proof.split(" ", -1);
        if (parts.length != 4) {
            return "a malformed " + METADATA_KEY;
        }
        long at;
        try {
            at = Long.parseLong(parts[1]);
        } catch (NumberFormatException e) {
            return "a malformed " + METADATA_KEY;
        }
        byte[] expected = mac(parts[0], at, parts[2]).getBytes(StandardCharsets.US_ASCII);
        if (!MessageDigest.isEqual(expected, parts[3].getBytes(StandardCharsets.US_ASCII))) {
            return "a proof made with another secret (auth.cluster-secret-file differs between the nodes)";
        }
        long skew = Math.abs(nowMillis - at);
        if (skew > WINDOW.toMillis()) {
            return "a proof made " + skew + " ms away from this node's clock (more than " + WINDOW.toSeconds()
                    + " s: are the clocks of the two machines set?)";
        }
        if (seen.asMap().putIfAbsent(parts[2], Boolean.TRUE) != null) {
            return "a proof seen before (a replay)";
        }
        return null;
    }

    private String mac(String nodeId, long at, String nonce) {
        try {
            Mac m = Mac.getInstance(ALGORITHM);
            m.init(key);
            byte[] tag =
                    m.doFinal(("pbkv-peer\n" + nodeId + "\n" + at + "\n" + nonce).getBytes(StandardCharsets.UTF_8));
            return Base64.getUrlEncoder().withoutPadding().encodeToString(tag);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HmacSHA256 is part of every JDK", e);
        }
    }

    @Override
    public String toString() {
        return "ClusterSecret(hidden)";
    }
}
