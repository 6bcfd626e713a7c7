package dev.pbkv.store;

import dev.pbkv.store.map.MapConfig;

import java.nio.file.Path;

/**
 * How a {@link Store} is opened.
 *
 * @param dataDir          directory of the log, snapshots and the store's metadata
 * @param map              buckets and arena size
 * @param fsync            log fsync policy
 * @param snapshotLogBytes a background snapshot starts once the log holds this many bytes
 * @param retainedLogBytes log bytes kept after a snapshot so a lagging peer can catch up by tail
 */
public record StoreConfig(Path dataDir, MapConfig map, FsyncPolicy fsync, long snapshotLogBytes,
                          long retainedLogBytes) {
    public static StoreConfig defaults(Path dataDir) {
        return new StoreConfig(dataDir, MapConfig.defaults(), FsyncPolicy.ALWAYS, 64L << 20, 64L << 20);
    }
}
