package dev.pbkv.server.config;

/**
 * The {@code replication} section.
 *
 * @param requireBackup           writes are refused (UNAVAILABLE) while no backup is attached: a backup still catching up counts as attached, its acknowledgement is then awaited (course contract; default false)
 * @param heartbeatMs             heartbeat period on the replication stream (default 100)
 * @param peerTimeoutMs           the peer counts as gone after this long without a message (default 1000)
 * @param batchMaxRecords         most log records in one replication message (default 1024)
 * @param snapshotChunkBytes      size of one snapshot chunk sent to a warming peer (default 1 MiB)
 * @param snapshotRateBytesPerSec snapshot transfer rate cap; 0 is unlimited (default 0)
 * @param preferConfiguredPrimary the configured backup, acting as primary, hands the role back to the configured
 *                                primary by switchover once that one is its in-sync backup (default false)
 */
public record ReplicationSettings(
        boolean requireBackup,
        long heartbeatMs,
        long peerTimeoutMs,
        int batchMaxRecords,
        long snapshotChunkBytes,
        long snapshotRateBytesPerSec,
        boolean preferConfiguredPrimary) {}
