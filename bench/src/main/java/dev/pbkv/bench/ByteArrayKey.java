package dev.pbkv.bench;

import java.util.Arrays;

/** The usual way to key a ConcurrentHashMap by bytes: a wrapper with content equality and a cached hash. */
final class ByteArrayKey {
    private final byte[] bytes;
    private final int hash;

    ByteArrayKey(byte[] bytes) {
        this.bytes = bytes;
        this.hash = Arrays.hashCode(bytes);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof ByteArrayKey other && hash == other.hash && Arrays.equals(bytes, other.bytes);
    }

    @Override
    public int hashCode() {
        return hash;
    }
}
