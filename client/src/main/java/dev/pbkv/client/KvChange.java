package dev.pbkv.client;

import java.nio.charset.StandardCharsets;

/**
 * One committed change of a key, as a watch streams it. The arrays are the caller's to keep.
 *
 * @param offset the log offset of the record that made it, the same on both nodes
 * @param type   what happened to the key
 * @param key    the key
 * @param value  the new value for {@link Type#SET}, empty otherwise
 */
public record KvChange(long offset, Type type, byte[] key, byte[] value) {

    /** What a change did. */
    public enum Type {
        SET,
        DELETE,
        EXPIRED
    }

    public String keyString() {
        return new String(key, StandardCharsets.UTF_8);
    }

    public String valueString() {
        return new String(value, StandardCharsets.UTF_8);
    }

    /** One line: offset, event, key and (for SET) value, separated by single spaces. */
    @Override
    public String toString() {
        return offset + " " + type.name().toLowerCase(java.util.Locale.ROOT) + " " + keyString()
                + (type == Type.SET ? " " + valueString() : "");
    }
}
