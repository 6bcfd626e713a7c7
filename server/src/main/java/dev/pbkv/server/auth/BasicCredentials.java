package dev.pbkv.server.auth;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Base64;

/**
 * The user and password of an HTTP Basic authorization value, {@code Basic base64(user:password)}
 * (RFC 7617, UTF-8): the HTTP door reads it from the {@code Authorization} header, the gRPC door
 * from the {@code authorization} metadata.
 *
 * @param user     the name, up to the first colon
 * @param password the bytes after the first colon, as sent (not decoded)
 */
public record BasicCredentials(String user, byte[] password) {

    /** The credentials of value, or null when it is absent or not well-formed Basic. */
    public static BasicCredentials parse(String value) {
        if (value == null || value.length() < 6 || !value.regionMatches(true, 0, "Basic ", 0, 6)) {
            return null;
        }
        byte[] decoded;
        try {
            decoded = Base64.getDecoder().decode(value.substring(6).trim());
        } catch (IllegalArgumentException e) {
            return null;
        }
        for (int i = 0; i < decoded.length; i++) {
            if (decoded[i] == ':') {
                return new BasicCredentials(
                        new String(decoded, 0, i, StandardCharsets.UTF_8),
                        Arrays.copyOfRange(decoded, i + 1, decoded.length));
            }
        }
        return null;
    }
}
