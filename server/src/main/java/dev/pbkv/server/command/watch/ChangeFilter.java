package dev.pbkv.server.command.watch;

import java.util.Arrays;

/** Which keys a watcher wants. Called on the watch thread; implementations must be thread-safe. */
@FunctionalInterface
public interface ChangeFilter {
    boolean matches(byte[] key);

    /** Exactly this key. */
    static ChangeFilter key(byte[] key) {
        byte[] k = key.clone();
        return candidate -> Arrays.equals(candidate, k);
    }

    /** Every key that starts with prefix (every key for an empty prefix). */
    static ChangeFilter prefix(byte[] prefix) {
        byte[] p = prefix.clone();
        return candidate -> candidate.length >= p.length && Arrays.equals(candidate, 0, p.length, p, 0, p.length);
    }
}
