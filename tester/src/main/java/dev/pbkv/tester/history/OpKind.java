package dev.pbkv.tester.history;

/** The operations a robustness client invokes, each on one key. */
public enum OpKind {
    /** Stores the value whether or not the key is present. */
    PUT,
    /** Stores the value only if the key is absent; else ALREADY_EXISTS. */
    INSERT,
    /** Replaces the value only if the key is present; else NOT_FOUND. */
    UPDATE,
    /** Removes the key if present; else NOT_FOUND. */
    DELETE,
    /** Reads the value, or that the key is absent. */
    GET;

    public boolean isWrite() {
        return this != GET;
    }

    public String lower() {
        return name().toLowerCase(java.util.Locale.ROOT);
    }
}
