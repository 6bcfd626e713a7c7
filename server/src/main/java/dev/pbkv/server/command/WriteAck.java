package dev.pbkv.server.command;

/**
 * A committed write.
 *
 * @param offset  the log offset the write was given
 * @param created whether the key was absent before (insert, and put of a new key)
 */
public record WriteAck(long offset, boolean created) {}
