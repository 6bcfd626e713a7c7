package dev.pbkv.server.replication;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class CommitTrackerTest {

    @Test
    void aloneCommitsWhatIsDurableLocally() {
        CommitTracker c = new CommitTracker();
        CompletableFuture<Void> w = c.await(3);
        c.localDurable(2);
        assertThat(w).isNotDone();
        c.localDurable(3);
        assertThat(w).isCompleted();
        assertThat(c.committed()).isEqualTo(3);
    }

    @Test
    void inSyncAWriteCommitsOnlyOnceTheBackupAckedIt() {
        CommitTracker c = new CommitTracker();
        c.requirePeer(true, 0);
        CompletableFuture<Void> w = c.await(5);
        c.localDurable(10);
        assertThat(w).isNotDone();
        assertThat(c.committed()).isZero();
        c.peerAcked(4);
        assertThat(w).isNotDone();
        c.peerAcked(7);
        assertThat(w).isCompleted();
        assertThat(c.committed()).isEqualTo(7);
    }

    @Test
    void committedNeverGoesBackWhenTheRuleTightens() {
        CommitTracker c = new CommitTracker();
        c.localDurable(20);
        c.requirePeer(true, 5);
        assertThat(c.committed()).isEqualTo(20);
        CompletableFuture<Void> later = c.await(21);
        c.localDurable(21);
        assertThat(later).isNotDone();
        c.requirePeer(false, 0); // backup lost: alone again
        assertThat(later).isCompleted();
    }

    @Test
    void failedWaitersCompleteExceptionally() {
        CommitTracker c = new CommitTracker();
        c.requirePeer(true, 0);
        CompletableFuture<Void> w = c.await(1);
        c.failWaiters(new NotPrimaryException("gone", null));
        assertThat(w).isCompletedExceptionally();
        assertThat(c.await(0)).isCompleted();
    }

    /**
     * Writers take offsets in order and wait for them from several threads while another thread
     * advances the local durable offset: every waiter is released (none lost between its check
     * and its insertion), and none before committed reached its offset.
     */
    @Test
    void waitersRacingTheAdvanceAreAllReleasedAndNeverEarly() throws Exception {
        CommitTracker c = new CommitTracker();
        AtomicLong nextOffset = new AtomicLong();
        AtomicBoolean writing = new AtomicBoolean(true);
        ConcurrentLinkedQueue<String> early = new ConcurrentLinkedQueue<>();
        ConcurrentLinkedQueue<CompletableFuture<Void>> all = new ConcurrentLinkedQueue<>();
        List<Thread> writers = new ArrayList<>();
        for (int t = 0; t < 4; t++) {
            Thread w = new Thread(() -> {
                for (int i = 0; i < 20_000; i++) {
                    long offset = nextOffset.incrementAndGet();
                    CompletableFuture<Void> f = c.await(offset);
                    f.thenRun(() -> {
                        if (c.committed() < offset) {
                            early.add(offset + " released at committed " + c.committed());
                        }
                    });
                    all.add(f);
                }
            });
            writers.add(w);
            w.start();
        }
        Thread durable = new Thread(() -> {
            while (writing.get()) {
                c.localDurable(nextOffset.get());
            }
        });
        durable.start();
        for (Thread w : writers) {
            w.join();
        }
        writing.set(false);
        durable.join();
        c.localDurable(nextOffset.get());
        CompletableFuture.allOf(all.toArray(CompletableFuture[]::new)).get(10, TimeUnit.SECONDS);
        assertThat(all).hasSize(80_000).allMatch(CompletableFuture::isDone);
        assertThat(early).isEmpty();
    }

    /**
     * A new term starts from the store's durable offset exactly: a tail this node held durable in
     * an earlier term may have been cut since, and its offsets written again, so a write at such
     * an offset waits for the disk again.
     */
    @Test
    void aNewTermStartsFromTheDurableOffsetItIsGivenEvenWhenLower() {
        CommitTracker c = new CommitTracker();
        c.startTerm(0);
        c.localDurable(10); // the old term's tail, 6..10 cut while this node was a backup
        c.startTerm(5);
        assertThat(c.committed()).isEqualTo(5);
        assertThat(c.localDurable()).isEqualTo(5);
        CompletableFuture<Void> rewritten = c.await(8);
        assertThat(rewritten).as("offset 8 of the new term is not on disk yet").isNotDone();
        c.localDurable(8);
        assertThat(rewritten).isCompleted();
    }

    @Test
    void aStoreFailureFailsOnlyTheWaitersAboveWhatIsDurable() {
        CommitTracker c = new CommitTracker();
        c.requirePeer(true, 0);
        c.localDurable(4);
        CompletableFuture<Void> durableHere = c.await(3);
        CompletableFuture<Void> lost = c.await(6);
        c.failAbove(4, new java.io.IOException("disk full"));
        assertThat(lost).isCompletedExceptionally();
        assertThat(durableHere).as("durable here, waiting for the backup").isNotDone();
        c.peerAcked(3);
        assertThat(durableHere).isCompleted();
    }

    /** A waiter whose offset is already committed is told at once, on the caller's thread; others once, later. */
    @Test
    void aWaiterIsToldExactlyOnce() {
        CommitTracker c = new CommitTracker();
        c.localDurable(2);
        List<String> told = new ArrayList<>();
        c.await(waiter(1, told));
        assertThat(told).containsExactly("1 committed");
        c.await(waiter(3, told));
        c.await(waiter(3, told));
        assertThat(told).hasSize(1);
        c.localDurable(3);
        c.localDurable(4);
        c.failWaiters(new NotPrimaryException("gone", null));
        assertThat(told).containsExactly("1 committed", "3 committed", "3 committed");
    }

    private static CommitTracker.Waiter waiter(long offset, List<String> told) {
        return new CommitTracker.Waiter() {
            @Override
            public long commitOffset() {
                return offset;
            }

            @Override
            public void committed() {
                told.add(offset + " committed");
            }

            @Override
            public void failed(Throwable cause) {
                told.add(offset + " failed");
            }
        };
    }
}
