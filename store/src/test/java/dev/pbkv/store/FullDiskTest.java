package dev.pbkv.store;

import dev.pbkv.store.log.SegmentChannelFactory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

import static dev.pbkv.store.TestStores.b;
import static dev.pbkv.store.TestStores.config;
import static dev.pbkv.store.TestStores.contents;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * A full disk, for real: once the flag is set, new log segments are created on /dev/full, whose
 * writes fail with ENOSPC ("No space left on device") from the kernel.
 */
class FullDiskTest {
    private static final Path DEV_FULL = Path.of("/dev/full");

    @TempDir
    Path tmp;

    @Test
    void fullDiskFailsDurabilityAndLaterWritesWithoutChangingTheMap() throws Exception {
        assumeTrue(Files.isWritable(DEV_FULL), "needs /dev/full (Linux)");
        AtomicBoolean diskFull = new AtomicBoolean();
        SegmentChannelFactory channels = path -> diskFull.get()
                ? FileChannel.open(DEV_FULL, StandardOpenOption.WRITE)
                : SegmentChannelFactory.FILES.create(path);
        // Small segments (4 KiB) so a new one is created soon after the disk fills.
        StoreConfig cfg = config(tmp, FsyncPolicy.ALWAYS, 1L << 30, 4096);
        Map<String, String> durable = new TreeMap<>();
        try (Store store = Store.open(cfg, channels)) {
            for (int i = 0; i < 20; i++) {
                long offset = store.apply(Mutation.of(Op.PUT, b("before" + i), b("v" + i))).offset();
                store.whenDurable(offset).get(10, TimeUnit.SECONDS);
                durable.put("before" + i, "v" + i);
            }
            diskFull.set(true);
            IOException seen = null;
            for (int i = 0; i < 10_000 && seen == null; i++) {
                WriteResult w;
                try {
                    w = store.apply(Mutation.of(Op.PUT, b("during" + i), b("x".repeat(100))));
                } catch (UncheckedIOException e) {
                    seen = e.getCause();
                    break;
                }
                CompletableFuture<Void> f = store.whenDurable(w.offset());
                try {
                    f.get(10, TimeUnit.SECONDS);
                    durable.put("during" + i, "x".repeat(100));
                } catch (ExecutionException e) {
                    seen = (IOException) e.getCause();
                }
            }
            assertThat(seen).as("the full disk surfaced").isNotNull();
            assertThat(seen.getMessage()).containsIgnoringCase("space");
            assertThat(store.logFailure()).isPresent();

            // Every later write fails fast and leaves the map as it was.
            Map<String, String> before = contents(store.map());
            long lastOffset = store.lastOffset();
            assertThatThrownBy(() -> store.apply(Mutation.of(Op.PUT, b("later"), b("v"))))
                    .isInstanceOf(UncheckedIOException.class);
            assertThatThrownBy(() -> store.apply(Mutation.delete(b("before0"))))
                    .isInstanceOf(UncheckedIOException.class);
            assertThat(contents(store.map())).isEqualTo(before);
            assertThat(store.lastOffset()).isEqualTo(lastOffset);
            assertThatThrownBy(() -> store.whenDurable(lastOffset + 1).get(10, TimeUnit.SECONDS))
                    .hasCauseInstanceOf(IOException.class);
        }
        // After a restart on a healthy disk, exactly the durable writes are there.
        try (Store store = Store.open(cfg)) {
            assertThat(contents(store.map())).isEqualTo(durable);
        }
    }
}
