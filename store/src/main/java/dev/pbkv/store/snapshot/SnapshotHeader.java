package dev.pbkv.store.snapshot;

/**
 * What a snapshot says about itself: its header (offset, epoch) and its trailer (entry count,
 * end offset). {@link SnapshotReader#peek} reads both ends of a file without reading the entries
 * (so unchecked: only a full read checks the CRC); {@link SnapshotReader#header} gives the checked
 * values after a full read.
 *
 * @param offset    S: every record up to and including it is reflected in the snapshot
 * @param epoch     the epoch of the record at S
 * @param entries   the number of entries
 * @param endOffset no entry reflects a record above it (a fuzzy snapshot's end, at least S)
 */
public record SnapshotHeader(long offset, long epoch, long entries, long endOffset) {}
