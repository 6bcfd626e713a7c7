package dev.pbkv.server.http;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Base64;

/** The user and password of an {@code Authorization: Basic} header (RFC 7617, UTF-8). */
record HttpCredentials(String user, byte[] password) {

    /** The credentials of header, or null when it is absent or not well-formed Basic. */
    static HttpCredentials of(String header) {
        if (header == null || header.length() < 6 || !header.regionMatches(true, 0, "Basic ", 0, 6)) {
            return null;
        }
        byte[] decoded;
        try {
            decoded = Base64.getDecoder().decode(header.substring(6).trim());
        } catch (IllegalArgumentException e) {
            return null;
        }
        for (int i = 0; i < decoded.length; i++) {
            if (decoded[i] == ':') {
                return new HttpCredentials(
                        new String(decoded, 0, i, StandardCharsets.UTF_8),
                        Arrays.copyOfRange(decoded, i + 1, decoded.length));
            }
        }
        return null;
    }
}
