package dev.pbkv.client;

import dev.pbkv.proto.Entry;
import java.nio.charset.StandardCharsets;

/** One key and its value, as scan and dump return them. The arrays are the caller's to keep. */
public record KvEntry(byte[] key, byte[] value) {

    static KvEntry of(Entry entry) {
        return new KvEntry(entry.getKey().toByteArray(), entry.getValue().toByteArray());
    }

    /** The key decoded as UTF-8. */
    public String keyString() {
        return new String(key, StandardCharsets.UTF_8);
    }

    /** The value decoded as UTF-8. */
    public String valueString() {
        return new String(value, StandardCharsets.UTF_8);
    }

    @Override
    public String toString() {
        return keyString() + "=" + valueString();
    }
}
