package dev.pbkv.server.command;

/**
 * A backup written (Admin.Backup, RESP SAVE): the file on this node's disk and what it holds.
 *
 * @param path       the file's absolute path on the node
 * @param offset     the offset whose contents it holds exactly
 * @param keys       how many keys it holds
 * @param bytes      its size (compressed)
 * @param durationMs how long writing it took
 */
public record BackupAck(String path, long offset, long keys, long bytes, long durationMs) {}
