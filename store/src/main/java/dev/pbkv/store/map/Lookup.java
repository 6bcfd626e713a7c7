package dev.pbkv.store.map;

/**
 * What a read found, with the log offset a linearizable reader must see committed first.
 *
 * @param value  the value, or null when the key is absent
 * @param offset when found, the offset of the entry's last write; when absent, the offset of the
 *               newest delete in the key's bucket (0 if none), so a read of a just-deleted key
 *               also waits for that delete to be safe
 */
public record Lookup(byte[] value, long offset) {
    public boolean found() {
        return value != null;
    }
}
