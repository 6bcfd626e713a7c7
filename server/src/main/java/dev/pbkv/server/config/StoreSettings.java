package dev.pbkv.server.config;

import dev.pbkv.store.FsyncPolicy;

/**
 * The {@code store} section.
 *
 * @param memoryBytes      bytes reserved once for the slab arena ({@code store.memory}, default 256m)
 * @param buckets          independently locked buckets of the map (default 32)
 * @param fsync            log fsync policy (default always)
 * @param snapshotLogBytes a snapshot starts once the log holds this many bytes (default 64m)
 * @param retainedLogBytes log kept after a snapshot for a lagging peer (default 64m)
 */
public record StoreSettings(
        long memoryBytes, int buckets, FsyncPolicy fsync, long snapshotLogBytes, long retainedLogBytes) {}
