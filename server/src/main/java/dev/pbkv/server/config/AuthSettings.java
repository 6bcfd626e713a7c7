package dev.pbkv.server.config;

import java.nio.file.Path;
import java.util.Map;

/**
 * The {@code auth} section: who may do what (docs/security.md). With no users, every client may do
 * everything, as before; that is allowed only while every door listens on loopback, unless
 * protected mode is turned off.
 *
 * @param users             user name to its access and salted password hash; empty: no authentication
 * @param protectedMode     refuse to start when a door would listen beyond loopback without users
 *                          (default true, as Redis's protected mode)
 * @param failureDelayMs    a failed authentication is answered after this long, so guessing is slow
 *                          (default 200)
 * @param clusterSecretFile the file holding the secret both nodes prove to each other (null: none;
 *                          with users configured, the peer must prove it)
 */
public record AuthSettings(
        Map<String, User> users, boolean protectedMode, long failureDelayMs, Path clusterSecretFile) {

    /** The access levels, each including the ones before it. */
    public static final java.util.List<String> ACCESS_NAMES = java.util.List.of("read", "write", "admin");

    /**
     * One user.
     *
     * @param access       read, write or admin
     * @param passwordHash {@code pbkdf2-sha256$<iterations>$<salt base64>$<hash base64>}, as
     *                     {@code bin/pbkv passwd} prints it
     */
    public record User(String access, String passwordHash) {}

    public AuthSettings {
        users = Map.copyOf(users);
    }

    /** Whether clients must authenticate. */
    public boolean required() {
        return !users.isEmpty();
    }
}
