package dev.pbkv.store.snapshot;

import dev.pbkv.store.map.BucketedMap;
import dev.pbkv.store.map.EntryVisitor;
import java.io.IOException;
import java.util.Arrays;

/**
 * Copies a map into a snapshot bucket by bucket. Each bucket is encoded into memory during the
 * map's per-bucket iteration (so the bucket's lock is never held across disk I/O), then written.
 */
public final class MapCopier implements EntryVisitor {
    private byte[] bytes = new byte[64 << 10];
    private int length;
    private long count;

    /** Copies every bucket of map to writer; writes go on meanwhile (see the fuzzy-snapshot note). */
    public static void copy(BucketedMap map, SnapshotWriter writer) throws IOException {
        MapCopier copier = new MapCopier();
        for (int b = 0; b < map.bucketCount(); b++) {
            copier.length = 0;
            copier.count = 0;
            map.forEachInBucket(b, copier);
            writer.entries(copier.bytes, copier.length, copier.count);
        }
    }

    @Override
    public void visit(byte[] key, byte[] value, long offset) {
        visit(key, value, offset, 0);
    }

    /** Encodes one entry in {@link SnapshotWriter}'s entry layout, with its deadline when it has one. */
    @Override
    public void visit(byte[] key, byte[] value, long offset, long deadline) {
        int need = length + 24 + key.length + value.length;
        if (need > bytes.length) {
            bytes = Arrays.copyOf(bytes, Math.max(need, bytes.length * 2));
        }
        putInt(key.length);
        System.arraycopy(key, 0, bytes, length, key.length);
        length += key.length;
        putInt(deadline == 0 ? value.length : value.length | SnapshotWriter.HAS_DEADLINE);
        System.arraycopy(value, 0, bytes, length, value.length);
        length += value.length;
        putLong(offset);
        if (deadline != 0) {
            putLong(deadline);
        }
        count++;
    }

    private void putLong(long v) {
        for (int shift = 56; shift >= 0; shift -= 8) {
            bytes[length++] = (byte) (v >>> shift);
        }
    }

    private void putInt(int v) {
        bytes[length++] = (byte) (v >>> 24);
        bytes[length++] = (byte) (v >>> 16);
        bytes[length++] = (byte) (v >>> 8);
        bytes[length++] = (byte) v;
    }
}
