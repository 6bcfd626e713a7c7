package dev.pbkv.store.map;

/**
 * What a read found, with the log offset a linearizable reader must see committed first.
 *
 * @param value    the value, or null when the key is absent (or, from {@code Store.lookup}, expired)
 * @param offset   when found (or hidden as expired), the offset of the entry's last write; when
 *                 absent, the offset of the newest delete in the key's bucket (0 if none), so a read
 *                 of a just-deleted key also waits for that delete to be safe
 * @param deadline the entry's deadline in epoch milliseconds (0: none, or absent). When value is
 *                 null and deadline is not 0, the entry is there but expired (see {@link #expired})
 */
public record Lookup(byte[] value, long offset, long deadline) {
    public Lookup(byte[] value, long offset) {
        this(value, offset, 0);
    }

    public boolean found() {
        return value != null;
    }

    /** The entry is held but its deadline has passed: readers treat it as absent. */
    public boolean expired() {
        return value == null && deadline != 0;
    }
}
