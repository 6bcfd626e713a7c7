package dev.pbkv.server.replication;

import static org.assertj.core.api.Assertions.assertThat;

import dev.pbkv.store.Effect;
import dev.pbkv.store.LogRecord;
import dev.pbkv.store.WriteOutcome;
import dev.pbkv.store.WriteResult;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;

class AtMostOnceTableTest {
    private static final byte[] K = {1};

    @Test
    void aSecondClaimGetsTheFirstResult() {
        AtMostOnceTable t = new AtMostOnceTable(10, 10);
        CompletableFuture<WriteResult> first = new CompletableFuture<>();
        assertThat(t.claim(1, 1, first)).isNull();
        assertThat(t.claim(1, 1, new CompletableFuture<>())).isSameAs(first);
        assertThat(t.claim(1, 2, new CompletableFuture<>())).isNull();
        assertThat(t.claim(2, 1, new CompletableFuture<>())).isNull();
    }

    @Test
    void aReleasedClaimMayBeAppliedAgain() {
        AtMostOnceTable t = new AtMostOnceTable(10, 10);
        CompletableFuture<WriteResult> first = new CompletableFuture<>();
        t.claim(1, 1, first);
        t.release(1, 1, first);
        assertThat(t.claim(1, 1, new CompletableFuture<>())).isNull();
    }

    @Test
    void replayedRecordsAnswerRetriesWithTheirResult() {
        AtMostOnceTable t = new AtMostOnceTable(10, 10);
        t.recordReplayed(new LogRecord(7, 1, Effect.PUT, K, K, 5, 3), false);
        t.recordReplayed(new LogRecord(8, 1, Effect.PUT, K, K, 5, 4), true);
        t.recordReplayed(new LogRecord(9, 1, Effect.DELETE, K, new byte[0], 5, 5), true);
        t.recordReplayed(new LogRecord(10, 1, Effect.PUT, K, K, 0, 0), false); // untagged: not remembered
        assertThat(t.claim(5, 3, new CompletableFuture<>()).join())
                .satisfies(r -> assertThat(r.outcome()).isEqualTo(WriteOutcome.CREATED))
                .satisfies(r -> assertThat(r.offset()).isEqualTo(7));
        assertThat(t.claim(5, 4, new CompletableFuture<>()).join().outcome()).isEqualTo(WriteOutcome.REPLACED);
        assertThat(t.claim(5, 5, new CompletableFuture<>()).join().outcome()).isEqualTo(WriteOutcome.DELETED);
        assertThat(t.clientCount()).isEqualTo(1);
    }

    @Test
    void eachClientKeepsOnlyItsLastResults() {
        AtMostOnceTable t = new AtMostOnceTable(10, 2);
        for (long seq = 1; seq <= 3; seq++) {
            t.claim(1, seq, CompletableFuture.completedFuture(null));
        }
        assertThat(t.claim(1, 1, new CompletableFuture<>())).isNull(); // evicted: applied again
        assertThat(t.claim(1, 3, new CompletableFuture<>())).isNotNull();
    }
}
