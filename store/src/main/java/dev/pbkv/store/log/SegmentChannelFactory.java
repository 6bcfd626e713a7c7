package dev.pbkv.store.log;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * Opens the channel of a new log segment. The default creates the file; a test passes one that
 * writes to {@code /dev/full} to see how a full disk surfaces.
 */
@FunctionalInterface
public interface SegmentChannelFactory {
    SegmentChannelFactory FILES = path -> FileChannel.open(
            path,
            StandardOpenOption.CREATE,
            StandardOpenOption.TRUNCATE_EXISTING,
            StandardOpenOption.READ,
            StandardOpenOption.WRITE);

    /** A readable and writable channel for a new, empty segment file at path. */
    FileChannel create(Path path) throws IOException;
}
