package dev.pbkv.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.ByteString;
import dev.pbkv.proto.WriteTag;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;

class PbkvAsyncClientTest {

    @Test
    void pipelinedWritesAndReadsAllComplete() throws Exception {
        try (FakeNode p = new FakeNode("primary", true);
                PbkvAsyncClient kv = PbkvClient.builder()
                        .endpoint(p.endpoint())
                        .callTimeout(Duration.ofSeconds(10))
                        .buildAsync()) {
            List<CompletableFuture<WriteResult>> writes = new ArrayList<>();
            for (int i = 0; i < 500; i++) {
                writes.add(kv.put("k" + i, "v" + i));
            }
            CompletableFuture.allOf(writes.toArray(new CompletableFuture<?>[0])).join();
            assertThat(writes).allMatch(f -> f.join().isOk());
            assertThat(p.data).hasSize(500);
            assertThat(kv.get("k42").join()).contains("v42");
            assertThat(kv.get("absent").join()).isEmpty();
            assertThat(kv.insert("k1", "x").join()).isEqualTo(WriteResult.ALREADY_EXISTS);
            assertThat(kv.update("absent", "x").join()).isEqualTo(WriteResult.NOT_FOUND);
            assertThat(kv.delete("k1").join().isOk()).isTrue();
            assertThat(kv.exists("k1").join()).isFalse();
            assertThat(kv.count().join()).isEqualTo(499);
            // one sequence per write: 500 puts, an insert, an update, a delete (a write retried after
            // a slow reply on a busy machine shows up again with the same sequence)
            assertThat(p.tagsSeen.stream().map(WriteTag::getSequence).distinct().count())
                    .isEqualTo(503);
        }
    }

    @Test
    void retriesFollowTheHintAndKeepTheTag() throws Exception {
        try (FakeNode b = new FakeNode("backup", true);
                FakeNode a = new FakeNode("primary", false).backupOf(b.address());
                PbkvAsyncClient kv = PbkvClient.builder()
                        .endpoint(a.endpoint())
                        .endpoint(b.endpoint())
                        .callTimeout(Duration.ofSeconds(10))
                        .backoff(Duration.ofMillis(5), Duration.ofMillis(20))
                        .buildAsync()) {
            b.refuseNext.set(2);
            assertThat(kv.put("x", "1").join().isOk()).isTrue();
            assertThat(b.data).containsKey(ByteString.copyFromUtf8("x"));
            // b's refusals carry no hint, so the client also goes back to a, which points at b again
            assertThat(b.tagsSeen).hasSize(3);
            assertThat(a.tagsSeen).isNotEmpty().containsOnly(b.tagsSeen.get(0));
            assertThat(b.tagsSeen).containsOnly(b.tagsSeen.get(0));
        }
    }

    @Test
    void deadlineExpiryCompletesWithPbkvUnavailableException() throws Exception {
        try (FakeNode a = new FakeNode("primary", false).backupOf(null);
                PbkvAsyncClient kv = PbkvClient.builder()
                        .endpoint(a.endpoint())
                        .retryDeadline(Duration.ofMillis(200))
                        .buildAsync()) {
            assertThatThrownBy(() -> kv.put("x", "1").join())
                    .isInstanceOf(CompletionException.class)
                    .hasCauseInstanceOf(PbkvUnavailableException.class);
        }
    }

    @Test
    void scanPageMergesTheStreamedChunks() throws Exception {
        try (FakeNode p = new FakeNode("primary", true);
                PbkvAsyncClient kv = PbkvClient.builder().endpoint(p.endpoint()).buildAsync()) {
            for (int i = 0; i < 300; i++) {
                p.put(String.format("s%03d", i), "v");
            }
            List<KvEntry> page =
                    kv.scanPage("s".getBytes(), "s099".getBytes(), 150).join();
            assertThat(page).hasSize(150);
            assertThat(page.get(0).keyString()).isEqualTo("s100");
            assertThat(page.get(149).keyString()).isEqualTo("s249");
        }
    }

    @Test
    void closeCompletesACallThatIsWaitingToRetry() throws Exception {
        try (FakeNode a = new FakeNode("primary", false).backupOf(null)) {
            PbkvAsyncClient kv = PbkvClient.builder()
                    .endpoint(a.endpoint())
                    .retryDeadline(Duration.ofSeconds(30))
                    .backoff(Duration.ofMillis(300), Duration.ofMillis(300))
                    .buildAsync();
            CompletableFuture<WriteResult> pending = kv.put("x", "1");
            Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> a.calls.get() >= 1);
            kv.close();
            assertThat(pending)
                    .failsWithin(Duration.ofSeconds(10))
                    .withThrowableOfType(java.util.concurrent.ExecutionException.class)
                    .havingCause()
                    .isInstanceOf(PbkvException.class)
                    .withMessageContaining("closed");
            assertThat(kv.isTerminated()).isTrue();
        }
    }

    @Test
    void closeTerminatesChannelsAndTheRetryTimer() throws Exception {
        try (FakeNode p = new FakeNode("primary", true)) {
            PbkvAsyncClient kv = PbkvClient.builder().endpoint(p.endpoint()).buildAsync();
            kv.put("a", "b").join();
            kv.close();
            assertThat(kv.isTerminated()).isTrue();
        }
    }
}
