package dev.pbkv.store;

import java.nio.file.Path;

/**
 * A backup file written or restored.
 *
 * @param file   the backup file
 * @param offset the offset whose contents the backup holds exactly: every record up to it, none above
 * @param epoch  the epoch of the record at offset
 * @param keys   the number of keys in it
 * @param bytes  the file's size (compressed)
 */
public record BackupInfo(Path file, long offset, long epoch, long keys, long bytes) {}
