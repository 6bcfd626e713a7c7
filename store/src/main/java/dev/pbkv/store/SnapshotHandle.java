package dev.pbkv.store;

import java.io.IOException;
import java.io.InputStream;

/**
 * A snapshot held for transfer to a peer. While it is open, the log keeps every record after
 * {@link #offset()}, so the receiver can follow the snapshot with the tail.
 */
public interface SnapshotHandle extends AutoCloseable {
    /** Every record up to and including this offset is reflected in the snapshot. */
    long offset();

    /**
     * No entry of the snapshot reflects a record above this offset (it is fuzzy: some records in
     * (offset, endOffset] may show); the snapshot plus the log up to here is exact.
     */
    long endOffset();

    /** The epoch of the record at {@link #offset()}. */
    long epoch();

    /** Size of the serialized snapshot in bytes. */
    long sizeBytes();

    /** The serialized snapshot, in the format {@link Store#installSnapshot} reads. */
    InputStream openStream() throws IOException;

    @Override
    void close() throws IOException;
}
