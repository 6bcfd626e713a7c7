package dev.pbkv.client;

/**
 * A backup the primary wrote ({@link PbkvClient#backup(String)}).
 *
 * @param path   the file, on the primary's own disk (the node writes it there; see docs/persistence.md)
 * @param offset the offset whose contents it holds exactly: every write up to it, none above
 * @param keys   the number of keys in it
 * @param bytes  the file's size (compressed)
 */
public record BackupResult(String path, long offset, long keys, long bytes) {}
