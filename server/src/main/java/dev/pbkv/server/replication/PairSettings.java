package dev.pbkv.server.replication;

import java.time.Duration;

/**
 * How a {@link PairReplicator} behaves; built by the node from the {@code replication} section of
 * settings.conf (the last three have no key there yet and take their defaults).
 *
 * @param requireBackup          refuse writes (UNAVAILABLE) while no backup is attached (course contract)
 * @param heartbeat              heartbeat period on the replication stream, and the probe period
 * @param peerTimeout            the peer counts as gone after this long without a message
 * @param batchMaxRecords        most log records in one replication message
 * @param batchMaxBytes          most key and value bytes in one replication message (at least one record)
 * @param snapshotChunkBytes     size of one snapshot chunk
 * @param snapshotRateBytesPerSec snapshot transfer rate cap; 0 is unlimited
 * @param dedupMaxClients        at-most-once table: most clients remembered (least recently used dropped)
 * @param dedupPerClient         at-most-once table: most recent results remembered per client
 * @param memoryOnly             the store keeps nothing across a restart ({@code store.persistence = none}): a
 *                               restarted node holds nothing, so the coordinator's in_sync record of an earlier
 *                               run of it does not count (docs/coordinator.md, "Without persistence")
 * @param preferConfiguredPrimary the configured backup, acting as primary, hands the role back by switchover once the
 *                               configured primary is its in-sync backup ({@code replication.prefer-configured-primary})
 */
public record PairSettings(
        boolean requireBackup,
        Duration heartbeat,
        Duration peerTimeout,
        int batchMaxRecords,
        int batchMaxBytes,
        int snapshotChunkBytes,
        long snapshotRateBytesPerSec,
        int dedupMaxClients,
        int dedupPerClient,
        boolean memoryOnly,
        boolean preferConfiguredPrimary) {

    /** Persistent, and no preference for the configured primary. */
    public PairSettings(
            boolean requireBackup,
            Duration heartbeat,
            Duration peerTimeout,
            int batchMaxRecords,
            int batchMaxBytes,
            int snapshotChunkBytes,
            long snapshotRateBytesPerSec,
            int dedupMaxClients,
            int dedupPerClient) {
        this(
                requireBackup,
                heartbeat,
                peerTimeout,
                batchMaxRecords,
                batchMaxBytes,
                snapshotChunkBytes,
                snapshotRateBytesPerSec,
                dedupMaxClients,
                dedupPerClient,
                false,
                false);
    }

    public PairSettings {
        if (heartbeat.isNegative() || heartbeat.isZero()) {
            throw new IllegalArgumentException(
                    "replication.heartbeat-ms must be positive, was " + heartbeat.toMillis());
        }
        if (peerTimeout.compareTo(heartbeat.multipliedBy(2)) < 0) {
            throw new IllegalArgumentException("replication.peer-timeout-ms must be at least twice "
                    + "replication.heartbeat-ms, was " + peerTimeout.toMillis());
        }
        if (batchMaxRecords < 1) {
            throw new IllegalArgumentException(
                    "replication.batch-max-records must be at least 1, was " + batchMaxRecords);
        }
        if (batchMaxBytes < 1) {
            throw new IllegalArgumentException("batch-max-bytes must be at least 1, was " + batchMaxBytes);
        }
        if (snapshotChunkBytes < 1024 || snapshotChunkBytes > 16 << 20) {
            throw new IllegalArgumentException(
                    "replication.snapshot-chunk-bytes must be within 1 KiB..16 MiB, was " + snapshotChunkBytes);
        }
        if (snapshotRateBytesPerSec < 0) {
            throw new IllegalArgumentException(
                    "replication.snapshot-rate-bytes-per-sec must not be negative, was " + snapshotRateBytesPerSec);
        }
        if (dedupMaxClients < 1 || dedupPerClient < 1) {
            throw new IllegalArgumentException("the at-most-once table needs room for one client and one result");
        }
    }

    public static final int DEFAULT_BATCH_MAX_BYTES = 4 << 20;
    public static final int DEFAULT_DEDUP_MAX_CLIENTS = 4096;
    public static final int DEFAULT_DEDUP_PER_CLIENT = 256;

    /** The settings.conf keys, with defaults for the rest. */
    public static PairSettings of(
            boolean requireBackup,
            long heartbeatMs,
            long peerTimeoutMs,
            int batchMaxRecords,
            long snapshotChunkBytes,
            long snapshotRateBytesPerSec) {
        return new PairSettings(
                requireBackup,
                Duration.ofMillis(heartbeatMs),
                Duration.ofMillis(peerTimeoutMs),
                batchMaxRecords,
                DEFAULT_BATCH_MAX_BYTES,
                (int) Math.min(Integer.MAX_VALUE, snapshotChunkBytes),
                snapshotRateBytesPerSec,
                DEFAULT_DEDUP_MAX_CLIENTS,
                DEFAULT_DEDUP_PER_CLIENT);
    }

    /** The defaults of conf/settings.conf. */
    public static PairSettings defaults() {
        return of(false, 100, 1000, 1024, 1 << 20, 0);
    }

    public PairSettings withRequireBackup(boolean require) {
        return new PairSettings(
                require,
                heartbeat,
                peerTimeout,
                batchMaxRecords,
                batchMaxBytes,
                snapshotChunkBytes,
                snapshotRateBytesPerSec,
                dedupMaxClients,
                dedupPerClient,
                memoryOnly,
                preferConfiguredPrimary);
    }

    /** These settings for a store that keeps nothing across a restart (store.persistence = none), or one that does. */
    public PairSettings withMemoryOnly(boolean memory) {
        return new PairSettings(
                requireBackup,
                heartbeat,
                peerTimeout,
                batchMaxRecords,
                batchMaxBytes,
                snapshotChunkBytes,
                snapshotRateBytesPerSec,
                dedupMaxClients,
                dedupPerClient,
                memory,
                preferConfiguredPrimary);
    }

    /** These settings with replication.prefer-configured-primary set as given. */
    public PairSettings withPreferConfiguredPrimary(boolean prefer) {
        return new PairSettings(
                requireBackup,
                heartbeat,
                peerTimeout,
                batchMaxRecords,
                batchMaxBytes,
                snapshotChunkBytes,
                snapshotRateBytesPerSec,
                dedupMaxClients,
                dedupPerClient,
                memoryOnly,
                prefer);
    }
}
