package dev.pbkv.store;

import static dev.pbkv.store.TestStores.b;
import static dev.pbkv.store.TestStores.config;
import static dev.pbkv.store.TestStores.contents;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.pbkv.store.log.SegmentChannelFactory;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Under fsync no an event loop writes its turn's records itself (expectLogWrite, then
 * writeExpectedLog at the end of the turn): written on that thread, before anyone is answered,
 * without the log thread; every record still reaches the log when threads race or a promise is
 * never kept.
 */
class TurnLogWriteTest {
    @TempDir
    Path tmp;

    /** Remembers on which thread each notice came. */
    private static final class Heard implements DurableListener {
        final ConcurrentLinkedQueue<String> threads = new ConcurrentLinkedQueue<>();
        volatile long last;

        @Override
        public void durableThrough(long offset) {
            threads.add(Thread.currentThread().getName());
            last = offset;
        }

        @Override
        public void failed(long durableOffset, IOException error) {}
    }

    @Test
    void theTurnsRecordsAreWrittenOnTheCallersThreadBeforeItReturns() throws Exception {
        try (Store store = Store.open(config(tmp, FsyncPolicy.NO))) {
            Heard heard = new Heard();
            store.setDurableListener(heard);
            assertThat(store.expectLogWrite()).isTrue();
            List<CompletableFuture<Void>> durable = new ArrayList<>();
            for (int i = 0; i < 3; i++) {
                durable.add(store.whenDurable(
                        store.apply(Mutation.of(Op.PUT, b("k" + i), b("v"))).offset()));
            }
            store.writeExpectedLog();
            assertThat(store.durableOffset()).isEqualTo(3);
            assertThat(durable).allMatch(CompletableFuture::isDone);
            assertThat(heard.threads).containsExactly(Thread.currentThread().getName());
            assertThat(store.readLog(0, 10)).hasSize(3);
        }
    }

    @Test
    void aPolicyThatForcesLeavesTheWritingToTheLogThread() throws Exception {
        for (FsyncPolicy policy : new FsyncPolicy[] {FsyncPolicy.ALWAYS, FsyncPolicy.EVERYSEC}) {
            try (Store store = Store.open(config(tmp.resolve(policy.name()), policy))) {
                assertThat(store.expectLogWrite()).as(policy.name()).isFalse();
            }
        }
    }

    /** An event loop that shut down before its turn ended: the log thread writes the records a moment later. */
    @Test
    void aPromiseNeverKeptStillGetsTheRecordsWritten() throws Exception {
        try (Store store = Store.open(config(tmp, FsyncPolicy.NO))) {
            assertThat(store.expectLogWrite()).isTrue();
            long offset = store.apply(Mutation.of(Op.PUT, b("k"), b("v"))).offset();
            store.whenDurable(offset).get(10, TimeUnit.SECONDS);
            assertThat(store.durableOffset()).isEqualTo(offset);
        }
    }

    /**
     * Turn writers on four threads race each other and two threads that write without a turn
     * (the log thread's writers): every record is written once, in offset order, and every
     * whenDurable completes.
     */
    @Test
    void racingTurnWritersAndTheLogThreadWriteEveryRecordOnce() throws Exception {
        int perThread = 3_000;
        try (Store store = Store.open(config(tmp, FsyncPolicy.NO))) {
            ExecutorService pool = Executors.newFixedThreadPool(6);
            List<Future<List<CompletableFuture<Void>>>> done = new ArrayList<>();
            for (int t = 0; t < 6; t++) {
                int id = t;
                boolean turns = t < 4;
                done.add(pool.submit(() -> {
                    List<CompletableFuture<Void>> durable = new ArrayList<>();
                    for (int i = 0; i < perThread; i += 10) {
                        boolean promised = turns && store.expectLogWrite();
                        for (int j = i; j < i + 10; j++) {
                            long offset = store.apply(Mutation.of(Op.PUT, b("t" + id + "-" + j), b("v" + j)))
                                    .offset();
                            durable.add(store.whenDurable(offset));
                        }
                        if (promised) {
                            store.writeExpectedLog();
                        }
                    }
                    return durable;
                }));
            }
            List<CompletableFuture<Void>> all = new ArrayList<>();
            for (Future<List<CompletableFuture<Void>>> f : done) {
                all.addAll(f.get(60, TimeUnit.SECONDS));
            }
            pool.shutdown();
            CompletableFuture.allOf(all.toArray(CompletableFuture[]::new)).get(30, TimeUnit.SECONDS);
            long records = 6L * perThread;
            assertThat(store.durableOffset()).isEqualTo(records);
            List<LogRecord> logged = store.readLog(0, (int) records + 10);
            assertThat(logged)
                    .extracting(LogRecord::offset)
                    .containsExactlyElementsOf(java.util.stream.LongStream.rangeClosed(1, records)
                            .boxed()
                            .toList());
        }
        try (Store reopened = Store.open(config(tmp, FsyncPolicy.NO))) {
            assertThat(contents(reopened)).hasSize(6 * perThread);
        }
    }

    /** A full disk met by a turn writer fails the log as the log thread's failure does. */
    @Test
    void aFullDiskMetByATurnWriterFailsTheLogAndRefusesLaterWrites() throws Exception {
        Path devFull = Path.of("/dev/full");
        assumeTrue(Files.isWritable(devFull), "needs /dev/full (Linux)");
        AtomicBoolean diskFull = new AtomicBoolean();
        SegmentChannelFactory channels = path -> diskFull.get()
                ? FileChannel.open(devFull, StandardOpenOption.WRITE)
                : SegmentChannelFactory.FILES.create(path);
        // 4 KiB segments, so a new one (on the full disk) comes soon.
        try (Store store = Store.open(config(tmp, FsyncPolicy.NO, 1L << 30, 4096), channels)) {
            diskFull.set(true);
            IOException seen = null;
            for (int round = 0; round < 200 && seen == null; round++) {
                assertThat(store.expectLogWrite()).isTrue();
                long offset;
                try {
                    offset = store.apply(Mutation.of(Op.PUT, b("k" + round), b("x".repeat(200))))
                            .offset();
                } catch (UncheckedIOException e) {
                    seen = e.getCause();
                    store.writeExpectedLog();
                    break;
                }
                CompletableFuture<Void> durable = store.whenDurable(offset);
                store.writeExpectedLog();
                await().atMost(Duration.ofSeconds(10)).until(durable::isDone);
                if (durable.isCompletedExceptionally()) {
                    seen = store.logFailure().orElseThrow();
                }
            }
            assertThat(seen).as("the full disk surfaced").isNotNull();
            assertThat(store.logFailure()).isPresent();
            assertThatThrownBy(() -> store.apply(Mutation.of(Op.PUT, b("later"), b("v"))))
                    .isInstanceOf(UncheckedIOException.class);
            assertThat(store.expectLogWrite())
                    .as("a failed log takes no promise")
                    .isFalse();
        }
    }
}
