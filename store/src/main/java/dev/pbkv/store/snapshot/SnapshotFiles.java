package dev.pbkv.store.snapshot;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Names of snapshot files in the data directory: {@code snapshot-<offset>.snap} (complete,
 * fsynced, renamed into place), {@code install.snap} (a peer's snapshot whose install has begun)
 * and {@code *.tmp} (incomplete; deleted at open).
 */
public final class SnapshotFiles {
    private static final Pattern NAME = Pattern.compile("snapshot-(\\d{20})\\.snap");
    public static final String INSTALL = "install.snap";

    /** A complete snapshot file and the offset in its name. */
    public record SnapshotFile(Path path, long offset) {}

    private SnapshotFiles() {}

    public static Path pathFor(Path dir, long offset) {
        return dir.resolve(String.format("snapshot-%020d.snap", offset));
    }

    public static Path tempFor(Path target) {
        return target.resolveSibling(target.getFileName() + ".tmp");
    }

    /** Complete snapshots in dir, newest (highest offset) first. */
    public static List<SnapshotFile> list(Path dir) throws IOException {
        List<SnapshotFile> out = new ArrayList<>();
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir, "snapshot-*.snap")) {
            for (Path p : ds) {
                Matcher m = NAME.matcher(p.getFileName().toString());
                if (m.matches()) {
                    out.add(new SnapshotFile(p, Long.parseLong(m.group(1))));
                }
            }
        }
        out.sort(Comparator.comparingLong(SnapshotFile::offset).reversed());
        return out;
    }

    /** Deletes leftovers of writes that never completed. */
    public static void deleteTemporaries(Path dir) throws IOException {
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir, "*.tmp")) {
            for (Path p : ds) {
                Files.deleteIfExists(p);
            }
        }
    }
}
