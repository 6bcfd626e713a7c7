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
}
