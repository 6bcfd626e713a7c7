package dev.pbkv.store;

import static dev.pbkv.store.TestStores.b;
import static dev.pbkv.store.TestStores.config;
import static dev.pbkv.store.TestStores.contents;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.pbkv.store.log.SegmentChannelFactory;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.ReadableByteChannel;
import java.nio.channels.WritableByteChannel;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A force of the log that takes long (a snapshot's barrier forcing everything fsync no left to
 * the OS, on a slow disk) must not hold up writes: under fsync no a write is answered once the log
 * thread has written it, and the log thread must not wait for another thread's force. It did:
 * appends took the lock force() held across the fsync, and every write stalled behind the
 * snapshot's (36-100 ms on this machine's disk at 50,000 ops/s, docs/performance.md).
 */
class SlowForceTest {
    @TempDir
    Path tmp;

    @Test
    void writesUnderFsyncNoAreWrittenWhileASnapshotForcesTheLog() throws Exception {
        Gate gate = new Gate();
        SegmentChannelFactory channels = path -> new GatedForceChannel(SegmentChannelFactory.FILES.create(path), gate);
        try (Store store = Store.open(config(tmp, FsyncPolicy.NO), channels)) {
            for (int i = 0; i < 100; i++) {
                long offset =
                        store.apply(Mutation.of(Op.PUT, b("k" + i), b("v" + i))).offset();
                store.whenDurable(offset).get(10, TimeUnit.SECONDS);
            }
            gate.closed.set(true);
            CompletableFuture<Long> snapshot = store.snapshotNow();
            try {
                assertThat(gate.entered.await(10, TimeUnit.SECONDS))
                        .as("the snapshot forces the log")
                        .isTrue();

                long offset = store.apply(Mutation.of(Op.PUT, b("during"), b("the force")))
                        .offset();
                CompletableFuture<Void> written = store.whenDurable(offset);
                await().atMost(Duration.ofSeconds(10)).until(written::isDone);
                assertThat(written).isCompleted();
                assertThat(snapshot).as("the force is still blocked").isNotDone();
            } finally {
                // Before the store closes: its close forces the log too.
                gate.closed.set(false);
                gate.release.countDown();
            }
            assertThat(snapshot.get(10, TimeUnit.SECONDS)).isGreaterThanOrEqualTo(100L);
            assertThat(contents(store)).containsEntry("during", "the force").hasSize(101);
        }
    }

    /**
     * Under EVERYSEC the once-a-second force runs beside the log thread, as Redis's does: a write
     * is written while that force is held up. (It ran on the log thread, and writes queued behind
     * it for its length.)
     */
    @Test
    void writesUnderEverysecAreWrittenWhileTheSecondsForceRuns() throws Exception {
        Gate gate = new Gate();
        SegmentChannelFactory channels = path -> new GatedForceChannel(SegmentChannelFactory.FILES.create(path), gate);
        try (Store store = Store.open(config(tmp, FsyncPolicy.EVERYSEC), channels)) {
            gate.closed.set(true);
            try {
                long first =
                        store.apply(Mutation.of(Op.PUT, b("first"), b("1"))).offset();
                store.whenDurable(first).get(10, TimeUnit.SECONDS);
                assertThat(gate.entered.await(10, TimeUnit.SECONDS))
                        .as("the force about a second after the first write")
                        .isTrue();

                long offset = store.apply(Mutation.of(Op.PUT, b("during"), b("the force")))
                        .offset();
                CompletableFuture<Void> written = store.whenDurable(offset);
                await().atMost(Duration.ofSeconds(10)).until(written::isDone);
                assertThat(written).isCompleted();
                assertThat(gate.release.getCount())
                        .as("the force is still blocked")
                        .isOne();
            } finally {
                gate.closed.set(false);
                gate.release.countDown();
            }
            // Forced in a later second, and the log goes on.
            long forcesBefore = store.logForceCount();
            long after = store.apply(Mutation.of(Op.PUT, b("after"), b("2"))).offset();
            store.whenDurable(after).get(10, TimeUnit.SECONDS);
            await().atMost(Duration.ofSeconds(10)).until(() -> store.logForceCount() > forcesBefore);
            assertThat(store.logFailure()).isEmpty();
        }
    }

    /** A failed background force fails the log as a failed write does: later writes are refused. */
    @Test
    void aFailedForceUnderEverysecFailsTheLog() throws Exception {
        Gate gate = new Gate();
        SegmentChannelFactory channels = path -> new GatedForceChannel(SegmentChannelFactory.FILES.create(path), gate);
        try (Store store = Store.open(config(tmp, FsyncPolicy.EVERYSEC), channels)) {
            gate.failing.set(true);
            long offset = store.apply(Mutation.of(Op.PUT, b("k"), b("v"))).offset();
            store.whenDurable(offset).get(10, TimeUnit.SECONDS);
            await().atMost(Duration.ofSeconds(10))
                    .until(() -> store.logFailure().isPresent());
            assertThat(store.logFailure().get()).hasMessageContaining("injected force failure");
            assertThatThrownBy(() -> store.apply(Mutation.of(Op.PUT, b("later"), b("v"))))
                    .isInstanceOf(UncheckedIOException.class)
                    .hasMessageContaining("the log cannot be written");
            assertThat(contents(store)).containsOnlyKeys("k");
            gate.failing.set(false);
        }
    }

    /** While closed, a force waits for release; entered counts down when one does; while failing, it fails. */
    private static final class Gate {
        final AtomicBoolean closed = new AtomicBoolean();
        /** While set, a force fails (as on EIO) instead. */
        final AtomicBoolean failing = new AtomicBoolean();

        final CountDownLatch entered = new CountDownLatch(1);
        final CountDownLatch release = new CountDownLatch(1);
    }

    /** A segment's channel whose force waits at the gate; everything else goes to the file. */
    private static final class GatedForceChannel extends FileChannel {
        private final FileChannel file;
        private final Gate gate;

        GatedForceChannel(FileChannel file, Gate gate) {
            this.file = file;
            this.gate = gate;
        }

        @Override
        public void force(boolean metaData) throws IOException {
            if (gate.failing.get()) {
                throw new IOException("injected force failure");
            }
            if (gate.closed.get()) {
                gate.entered.countDown();
                try {
                    gate.release.await();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new IOException("interrupted at the gate", e);
                }
            }
            file.force(metaData);
        }

        @Override
        public int read(ByteBuffer dst) throws IOException {
            return file.read(dst);
        }

        @Override
        public long read(ByteBuffer[] dsts, int offset, int length) throws IOException {
            return file.read(dsts, offset, length);
        }

        @Override
        public int write(ByteBuffer src) throws IOException {
            return file.write(src);
        }

        @Override
        public long write(ByteBuffer[] srcs, int offset, int length) throws IOException {
            return file.write(srcs, offset, length);
        }

        @Override
        public long position() throws IOException {
            return file.position();
        }

        @Override
        public FileChannel position(long newPosition) throws IOException {
            file.position(newPosition);
            return this;
        }

        @Override
        public long size() throws IOException {
            return file.size();
        }

        @Override
        public FileChannel truncate(long size) throws IOException {
            file.truncate(size);
            return this;
        }

        @Override
        public long transferTo(long position, long count, WritableByteChannel target) throws IOException {
            return file.transferTo(position, count, target);
        }

        @Override
        public long transferFrom(ReadableByteChannel src, long position, long count) throws IOException {
            return file.transferFrom(src, position, count);
        }

        @Override
        public int read(ByteBuffer dst, long position) throws IOException {
            return file.read(dst, position);
        }

        @Override
        public int write(ByteBuffer src, long position) throws IOException {
            return file.write(src, position);
        }

        @Override
        public MappedByteBuffer map(MapMode mode, long position, long size) throws IOException {
            return file.map(mode, position, size);
        }

        @Override
        public FileLock lock(long position, long size, boolean shared) throws IOException {
            return file.lock(position, size, shared);
        }

        @Override
        public FileLock tryLock(long position, long size, boolean shared) throws IOException {
            return file.tryLock(position, size, shared);
        }

        @Override
        protected void implCloseChannel() throws IOException {
            file.close();
        }
    }
}
