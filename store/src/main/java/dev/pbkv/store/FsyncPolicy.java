package dev.pbkv.store;

/** When the log is forced to disk. */
public enum FsyncPolicy {
    /** Before a write is durable; one fsync covers every record queued behind it (group commit). */
    ALWAYS,
    /** About once a second, in the background; a crash may lose the last second. */
    EVERYSEC,
    /** Never forced; the operating system writes when it likes. */
    NO
}
