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
 * @param persistence      whether the data outlives the process ({@code store.persistence}, default log)
 */
public record StoreSettings(
        long memoryBytes,
        int buckets,
        FsyncPolicy fsync,
        long snapshotLogBytes,
        long retainedLogBytes,
        Persistence persistence) {

    /** {@code store.persistence}. */
    public enum Persistence {
        /** The log and snapshots in {@code <data-dir>/store} survive a restart (recovery replays them). */
        LOG,
        /**
         * Nothing outlives the process: the log and snapshots (which a catching-up peer is fed from) live in
         * {@code <data-dir>/volatile-store}, emptied at start and deleted at a graceful stop; a restarted node
         * starts empty and catches up from its peer.
         */
        NONE
    }

    /** Nothing outlives the process. */
    public boolean memoryOnly() {
        return persistence == Persistence.NONE;
    }
}
