package dev.pbkv.store;

import static dev.pbkv.store.TestStores.b;
import static dev.pbkv.store.TestStores.config;
import static dev.pbkv.store.TestStores.contents;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.pbkv.store.log.SegmentChannelFactory;
import dev.pbkv.store.map.MapConfig;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A full disk, for real: once the flag is set, new log segments are created on /dev/full, whose
 * writes fail with ENOSPC ("No space left on device") from the kernel.
 */
class FullDiskTest {
    private static final Path DEV_FULL = Path.of("/dev/full");

    @TempDir
    Path tmp;

    @Test
    void fullDiskFailsUnloggedWritesUndoesThemAndRefusesLaterOnes() throws Exception {
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
                long offset = store.apply(Mutation.of(Op.PUT, b("before" + i), b("v" + i)))
                        .offset();
                store.whenDurable(offset).get(10, TimeUnit.SECONDS);
                durable.put("before" + i, "v" + i);
            }
            diskFull.set(true);
            // Windows of writes in flight: overwrites and deletes of durable keys, and new keys,
            // until the full disk surfaces.
            IOException seen = null;
            for (int round = 0; round < 1000 && seen == null; round++) {
                List<Mutation> sent = new ArrayList<>();
                List<CompletableFuture<Void>> futures = new ArrayList<>();
                for (int i = 0; i < 20; i++) {
                    Mutation m = switch (i % 3) {
                        case 0 -> Mutation.of(Op.PUT, b("before" + (i % 20)), b("overwritten" + round));
                        case 1 -> Mutation.delete(b("before" + ((i + round) % 20)));
                        default -> Mutation.of(Op.PUT, b("during" + round + "-" + i), b("x".repeat(100)));
                    };
                    WriteResult w;
                    try {
                        w = store.apply(m);
                    } catch (UncheckedIOException e) {
                        seen = e.getCause();
                        break;
                    }
                    if (w.changed()) {
                        sent.add(m);
                        futures.add(store.whenDurable(w.offset()));
                    }
                }
                for (int i = 0; i < sent.size(); i++) {
                    try {
                        futures.get(i).get(10, TimeUnit.SECONDS);
                        Mutation m = sent.get(i);
                        if (m.op() == Op.DELETE) {
                            durable.remove(TestStores.s(m.key()));
                        } else {
                            durable.put(TestStores.s(m.key()), TestStores.s(m.value()));
                        }
                    } catch (ExecutionException e) {
                        seen = (IOException) e.getCause();
                    }
                }
            }
            assertThat(seen).as("the full disk surfaced").isNotNull();
            assertThat(seen.getMessage()).containsIgnoringCase("space");
            assertThat(store.logFailure()).isPresent();
            // The writes that never reached the log are undone: the map holds exactly the durable ones.
            await().atMost(10, TimeUnit.SECONDS).untilAsserted(() -> {
                assertThat(contents(store)).isEqualTo(durable);
                assertThat(store.lastOffset()).isEqualTo(store.durableOffset());
            });

            // Every later write fails fast and leaves the map as it was.
            Map<String, String> before = contents(store);
            long lastOffset = store.lastOffset();
            assertThatThrownBy(() -> store.apply(Mutation.of(Op.PUT, b("later"), b("v"))))
                    .isInstanceOf(UncheckedIOException.class);
            assertThatThrownBy(() -> store.apply(Mutation.delete(b("before0"))))
                    .isInstanceOf(UncheckedIOException.class);
            assertThat(contents(store)).isEqualTo(before);
            assertThat(store.lastOffset()).isEqualTo(lastOffset);
            assertThatThrownBy(() -> store.whenDurable(lastOffset + 1).get(10, TimeUnit.SECONDS))
                    .hasCauseInstanceOf(IOException.class);
        }
        // After a restart on a healthy disk, exactly the durable writes are there.
        try (Store store = Store.open(cfg)) {
            assertThat(contents(store)).isEqualTo(durable);
        }
    }

    @Test
    void undoFindsValuesTheLogNoLongerHoldsInTheSnapshot() throws Exception {
        assumeTrue(Files.isWritable(DEV_FULL), "needs /dev/full (Linux)");
        AtomicBoolean diskFull = new AtomicBoolean();
        SegmentChannelFactory channels = path -> diskFull.get()
                ? FileChannel.open(DEV_FULL, StandardOpenOption.WRITE)
                : SegmentChannelFactory.FILES.create(path);
        // 32 MiB: each value size here takes a page of its own class, and the 8 MiB of the other
        // tests ran out of pages once entries grew by their deadline (an OUT_OF_MEMORY filler
        // then looked durable and the round's writes were expected).
        StoreConfig cfg = new StoreConfig(tmp, new MapConfig(8, 32L << 20), FsyncPolicy.ALWAYS, 1L << 30, 4096);
        try (Store store = Store.open(cfg, channels)) {
            for (int i = 0; i < 300; i++) {
                store.apply(Mutation.of(Op.PUT, b("old" + i), b("original" + i + "-" + "p".repeat(40))));
            }
            store.snapshotNow().get(10, TimeUnit.SECONDS);
            assertThat(store.logBaseOffset()).isGreaterThan(2); // old0 and old1 are only in the snapshot now
            // Fill the active segment so the very next batch needs a new one on the full disk.
            long big = store.apply(Mutation.of(Op.PUT, b("big"), b("B".repeat(5000))))
                    .offset();
            store.whenDurable(big).get(10, TimeUnit.SECONDS);
            Map<String, String> expected = contents(store);
            diskFull.set(true);
            boolean failed = false;
            for (int round = 0; round < 1000 && !failed; round++) {
                try {
                    store.apply(Mutation.of(Op.PUT, b("old0"), b("changed" + round)));
                    store.apply(Mutation.delete(b("old1")));
                    store.apply(Mutation.of(Op.PUT, b("old1"), b("back" + round)));
                    WriteResult filler = store.apply(Mutation.of(Op.PUT, b("filler" + round), b("f".repeat(200))));
                    // A write the arena refused has no offset: whenDurable(0) would pass at once.
                    assertThat(filler.outcome()).isEqualTo(WriteOutcome.CREATED);
                    long last = filler.offset();
                    store.whenDurable(last).get(10, TimeUnit.SECONDS);
                    // durable: part of the expected contents from now on
                    expected.put("old0", "changed" + round);
                    expected.put("old1", "back" + round);
                    expected.put("filler" + round, "f".repeat(200));
                } catch (UncheckedIOException | ExecutionException e) {
                    failed = true;
                }
            }
            assertThat(failed).isTrue();
            // old0's only record left the log with the snapshot: the undo finds its value there.
            await().atMost(10, TimeUnit.SECONDS).untilAsserted(() -> {
                assertThat(contents(store)).isEqualTo(expected);
                assertThat(store.lastOffset()).isEqualTo(big);
            });
        }
    }
}
