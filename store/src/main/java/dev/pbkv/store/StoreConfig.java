package dev.pbkv.store;

import dev.pbkv.store.map.MapConfig;
import java.nio.file.Path;

/**
 * How a {@link Store} is opened.
 *
 * @param dataDir          directory of the log, snapshots and the store's metadata
 * @param map              buckets and arena size
 * @param fsync            log fsync policy (default ALWAYS: group commit)
 * @param snapshotLogBytes a background snapshot starts once the log holds this many bytes
 * @param retainedLogBytes log bytes kept after a snapshot so a lagging peer can catch up by tail
 *                         (whole segments; a segment is a quarter of the smaller of the two sizes,
 *                         within 4 KiB..64 MiB)
 */
public record StoreConfig(
        Path dataDir, MapConfig map, FsyncPolicy fsync, long snapshotLogBytes, long retainedLogBytes) {
    public StoreConfig {
        if (dataDir == null) {
            throw new IllegalArgumentException("data-dir must be set");
        }
        if (map == null || fsync == null) {
            throw new IllegalArgumentException("store map settings and store.fsync must be set");
        }
        if (snapshotLogBytes < 4096) {
            throw new IllegalArgumentException(
                    "store.snapshot-log-bytes must be at least 4096, was " + snapshotLogBytes);
        }
        if (retainedLogBytes < 0) {
            throw new IllegalArgumentException(
                    "store.retained-log-bytes must not be negative, was " + retainedLogBytes);
        }
    }

    public static StoreConfig defaults(Path dataDir) {
        return new StoreConfig(dataDir, MapConfig.defaults(), FsyncPolicy.ALWAYS, 64L << 20, 64L << 20);
    }
}
