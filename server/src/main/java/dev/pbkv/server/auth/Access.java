package dev.pbkv.server.auth;

import java.util.Locale;

/** What a user may do; each level includes the ones before it. */
public enum Access {
    /** Reads, scans, dumps, watches, status. */
    READ,
    /** The above and writes. */
    WRITE,
    /** The above, plus shutdown, promote and backup. */
    ADMIN;

    public boolean includes(Access needed) {
        return compareTo(needed) >= 0;
    }

    /** read, write or admin (the settings' spelling). */
    public static Access parse(String name) {
        return valueOf(name.toUpperCase(Locale.ROOT));
    }

    @Override
    public String toString() {
        return name().toLowerCase(Locale.ROOT);
    }
}
