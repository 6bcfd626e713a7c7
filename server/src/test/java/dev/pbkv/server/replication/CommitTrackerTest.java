package dev.pbkv.server.replication;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.concurrent.CompletableFuture;
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
}
