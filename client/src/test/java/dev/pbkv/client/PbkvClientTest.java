package dev.pbkv.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.tuple;

import com.google.protobuf.ByteString;
import dev.pbkv.proto.Role;
import dev.pbkv.proto.WriteTag;
import io.grpc.Status;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PbkvClientTest {

    private final java.util.List<AutoCloseable> toClose = new java.util.ArrayList<>();

    @AfterEach
    void closeAll() throws Exception {
        for (AutoCloseable c : toClose) {
            c.close();
        }
    }

    private FakeNode node(String id, boolean primary) throws IOException {
        FakeNode n = new FakeNode(id, primary);
        toClose.add(n);
        return n;
    }

    private PbkvClient client(PbkvClientBuilder b) {
        PbkvClient c = b.build();
        toClose.add(0, c);
        return c;
    }

    private static PbkvClientBuilder quick(FakeNode... nodes) {
        // Generous deadlines: a busy CI machine must not turn a slow reply into a retry.
        PbkvClientBuilder b = PbkvClient.builder()
                .callTimeout(Duration.ofSeconds(10))
                .retryDeadline(Duration.ofSeconds(10))
                .backoff(Duration.ofMillis(5), Duration.ofMillis(50));
        for (FakeNode n : nodes) {
            b.endpoint(n.endpoint());
        }
        return b;
    }

    static int closedPort() {
        return dev.pbkv.testkit.FreePorts.take();
    }

    @Test
    void getOfAbsentKeyIsEmptyNotAnException() throws Exception {
        FakeNode p = node("primary", true);
        PbkvClient kv = client(quick(p));
        assertThat(kv.get("nope")).isEmpty();
        p.put("a", "1");
        assertThat(kv.get("a")).contains("1");
        assertThat(kv.get("a".getBytes(StandardCharsets.UTF_8)).orElseThrow())
                .isEqualTo("1".getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void expireSendsTheTtlAndPersistClearsTheDeadlineBothAnsweringWhetherTheKeyChanged() throws Exception {
        FakeNode p = node("primary", true);
        PbkvClient kv = client(quick(p));
        p.put("k", "v");
        byte[] k = "k".getBytes(StandardCharsets.UTF_8);

        assertThat(kv.expire(k, Duration.ofMillis(1500))).isTrue();
        assertThat(kv.expire(k, Duration.ofNanos(1))).isTrue();
        assertThat(kv.expire(k, Duration.ZERO)).isTrue();
        assertThat(kv.persist(k)).isTrue();
        assertThat(kv.persist("absent".getBytes(StandardCharsets.UTF_8))).isFalse();

        assertThat(p.expires)
                .extracting(r -> r.getKey().toStringUtf8(), r -> r.getTtlMs(), r -> r.getPersist())
                .containsExactly(
                        tuple("k", 1500L, false),
                        tuple("k", 1L, false),
                        tuple("k", -1L, false),
                        tuple("k", 0L, true),
                        tuple("absent", 0L, true));
    }

    @Test
    void writesAnswerOkNotFoundAndAlreadyExistsAsResults() throws Exception {
        FakeNode p = node("primary", true);
        PbkvClient kv = client(quick(p));

        assertThat(kv.insert("k", "v1").status()).isEqualTo(WriteStatus.OK);
        assertThat(kv.insert("k", "v2")).isEqualTo(WriteResult.ALREADY_EXISTS);
        assertThat(kv.update("k", "v3").isOk()).isTrue();
        assertThat(kv.update("absent", "x")).isEqualTo(WriteResult.NOT_FOUND);
        WriteResult created = kv.put("p", "1");
        assertThat(created.created()).isTrue();
        assertThat(created.offset()).isPositive();
        assertThat(kv.put("p", "2").created()).isFalse();
        assertThat(kv.delete("absent")).isEqualTo(WriteResult.NOT_FOUND);
        assertThat(kv.delete("k").status()).isEqualTo(WriteStatus.OK);
        assertThat(kv.exists("k")).isFalse();
        assertThat(kv.exists("p")).isTrue();
        assertThat(kv.count()).isEqualTo(1);
        assertThat(kv.get("p")).contains("2");
    }

    @Test
    void invalidArgumentIsAPbkvExceptionWithItsCode() throws Exception {
        FakeNode p = node("primary", true);
        PbkvClient kv = client(quick(p));
        assertThatThrownBy(() -> kv.put("", "x"))
                .isInstanceOf(PbkvException.class)
                .isNotInstanceOf(PbkvUnavailableException.class)
                .hasMessageContaining("INVALID_ARGUMENT")
                .hasMessageContaining("empty key")
                .extracting(e -> ((PbkvException) e).code())
                .isEqualTo(Status.Code.INVALID_ARGUMENT);
        assertThat(p.calls.get()).isEqualTo(1); // not retried
    }

    @Test
    void retriesUnavailableWithBackoffUntilSuccess() throws Exception {
        FakeNode p = node("primary", true);
        PbkvClient kv = client(quick(p).backoff(Duration.ofMillis(40), Duration.ofSeconds(1)));
        p.refuseNext.set(3);
        long start = System.nanoTime();
        assertThat(kv.put("a", "1").isOk()).isTrue();
        long elapsedMs = (System.nanoTime() - start) / 1_000_000;
        assertThat(p.calls.get()).isEqualTo(4);
        // Three backoffs of 40, 80, 160 ms, each at least half jittered away: >= 20 + 40 + 80.
        assertThat(elapsedMs).isGreaterThanOrEqualTo(140);
        assertThat(p.data).containsKey(ByteString.copyFromUtf8("a"));
    }

    @Test
    void followsThePrimaryTrailerToTheOtherNodeAndStaysThere() throws Exception {
        FakeNode b = node("backup", true);
        FakeNode a = node("primary", false);
        a.backupOf(b.address());
        PbkvClient kv = client(quick(a, b));

        assertThat(kv.put("x", "1").isOk()).isTrue();
        assertThat(a.calls.get()).isEqualTo(1);
        assertThat(b.data).containsKey(ByteString.copyFromUtf8("x"));
        assertThat(kv.get("x")).contains("1");
        assertThat(kv.put("y", "2").isOk()).isTrue();
        assertThat(a.calls.get()).as("later calls go straight to the primary").isEqualTo(1);
    }

    @Test
    void learnsAPrimaryItWasNotBuiltWithFromTheTrailer() throws Exception {
        FakeNode real = node("backup", true);
        FakeNode a = node("primary", false);
        a.backupOf(real.address());
        PbkvClient kv = client(quick(a));
        assertThat(kv.insert("k", "v").isOk()).isTrue();
        assertThat(real.data).containsKey(ByteString.copyFromUtf8("k"));
        assertThat(kv.endpoints()).containsExactly(a.endpoint(), real.endpoint());
    }

    @Test
    void triesTheOtherNodeWhenTheFirstRefusesConnections() throws Exception {
        FakeNode b = node("backup", true);
        PbkvClient kv = client(PbkvClient.builder()
                .endpoint(new Endpoint("127.0.0.1", closedPort()))
                .endpoint(b.endpoint())
                .retryDeadline(Duration.ofSeconds(5)));
        assertThat(kv.put("k", "v").isOk()).isTrue();
        assertThat(b.calls.get()).isEqualTo(1);
    }

    @Test
    void everyRetryOfOneWriteCarriesTheSameTagAndTheNextWriteANewSequence() throws Exception {
        FakeNode p = node("primary", true);
        PbkvClient kv = client(quick(p));
        p.refuseNext.set(2);
        kv.put("a", "1");
        p.refuseNext.set(1);
        kv.delete("a");
        kv.insert("b", "2");

        List<WriteTag> tags = p.tagsSeen;
        assertThat(tags).hasSize(3 + 2 + 1);
        assertThat(tags.get(0).getClientId()).isNotZero().isEqualTo(kv.clientId());
        assertThat(tags.subList(0, 3)).as("put and its two retries").containsOnly(tags.get(0));
        assertThat(tags.subList(3, 5)).as("delete and its retry").containsOnly(tags.get(3));
        assertThat(tags.get(3).getSequence()).isEqualTo(tags.get(0).getSequence() + 1);
        assertThat(tags.get(5).getSequence()).isEqualTo(tags.get(3).getSequence() + 1);
        assertThat(tags.stream().map(WriteTag::getClientId).collect(Collectors.toSet()))
                .hasSize(1);
    }

    @Test
    void twoClientsHaveDifferentClientIds() throws Exception {
        FakeNode p = node("primary", true);
        assertThat(client(quick(p)).clientId()).isNotEqualTo(client(quick(p)).clientId());
    }

    @Test
    void retryDeadlineExpiryGivesPbkvUnavailableException() throws Exception {
        FakeNode p = node("primary", false).backupOf(null);
        PbkvClient kv = client(
                quick(p).endpoint(new Endpoint("127.0.0.1", closedPort())).retryDeadline(Duration.ofMillis(300)));
        long start = System.nanoTime();
        assertThatThrownBy(() -> kv.put("a", "1"))
                .isInstanceOf(PbkvUnavailableException.class)
                .hasMessageContaining("within 300ms")
                .hasMessageContaining(p.address());
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(3));
        assertThat(p.calls.get()).isGreaterThan(1);
    }

    @Test
    void backupServesReadsOnlyWhenStaleReadsAreAllowed() throws Exception {
        FakeNode b = node("backup", false).backupOf(null);
        b.put("k", "old");
        PbkvClient strict = client(quick(b).retryDeadline(Duration.ofMillis(200)));
        assertThatThrownBy(() -> strict.get("k")).isInstanceOf(PbkvUnavailableException.class);
        PbkvClient stale = client(quick(b).allowStale(true));
        assertThat(stale.get("k")).contains("old");
        assertThat(stale.count()).isEqualTo(1);
        assertThat(stale.scan().map(KvEntry::valueString)).containsExactly("old");
    }

    @Test
    void aStaleReadServedByTheBackupDoesNotMoveWritesAwayFromThePrimary() throws Exception {
        FakeNode p = node("primary", true);
        FakeNode b = node("backup", false).backupOf(null);
        b.put("k", "old");
        PbkvClient kv = client(quick(p, b).allowStale(true));
        p.refuseNext.set(1);
        assertThat(kv.get("k")).contains("old");
        int backupCalls = b.calls.get();
        assertThat(kv.put("w", "1").isOk()).isTrue();
        assertThat(b.calls.get()).as("the write went straight to the primary").isEqualTo(backupCalls);
    }

    @Test
    void scanReadsEveryPageInKeyOrderUsingStartAfter() throws Exception {
        FakeNode p = node("primary", true);
        for (int i = 0; i < 2500; i++) {
            p.put(String.format("k%05d", i), "v" + i);
        }
        p.put("other", "x");
        PbkvClient kv = client(quick(p));

        List<String> keys = kv.scan("k", 0).map(KvEntry::keyString).collect(Collectors.toList());
        assertThat(keys).hasSize(2500).isSorted();
        assertThat(keys.get(0)).isEqualTo("k00000");
        assertThat(keys.get(2499)).isEqualTo("k02499");
        assertThat(p.scans).hasSize(3);
        assertThat(p.scans.get(1).getStartAfter().toStringUtf8()).isEqualTo("k00999");
        assertThat(p.scans.get(2).getStartAfter().toStringUtf8()).isEqualTo("k01999");

        p.scans.clear();
        assertThat(kv.scan("k", 1234).count()).isEqualTo(1234);
        assertThat(p.scans).extracting(r -> r.getLimit()).containsExactly(1000, 234);
        assertThat(kv.scan().count()).isEqualTo(2501);
        assertThat(kv.scan("zzz", 0).count()).isZero();
    }

    @Test
    void scanRetriesAPageAfterAFailover() throws Exception {
        FakeNode p = node("primary", true);
        for (int i = 0; i < 1500; i++) {
            p.put(String.format("k%05d", i), "v");
        }
        PbkvClient kv = client(quick(p));
        var it = kv.scan("k", 0).iterator();
        for (int i = 0; i < 1000; i++) {
            it.next();
        }
        p.refuseNext.set(2);
        int rest = 0;
        while (it.hasNext()) {
            it.next();
            rest++;
        }
        assertThat(rest).isEqualTo(500);
    }

    @Test
    void dumpStreamsEveryEntry() throws Exception {
        FakeNode p = node("primary", true);
        for (int i = 0; i < 250; i++) {
            p.put("d" + i, "v" + i);
        }
        PbkvClient kv = client(quick(p));
        p.refuseNext.set(1);
        try (Stream<KvEntry> dump = kv.dump()) {
            Set<String> keys = dump.map(KvEntry::keyString).collect(Collectors.toSet());
            assertThat(keys).hasSize(250).contains("d0", "d249");
        }
    }

    @Test
    void statusPromoteAndShutdownGoToTheNamedNode() throws Exception {
        FakeNode a = node("primary", true);
        FakeNode b = node("backup", false).backupOf(a.address());
        PbkvClient kv = client(quick(a, b));

        assertThat(kv.status(b.endpoint()).getRole()).isEqualTo(Role.BACKUP);
        assertThat(kv.findPrimary()).contains(a.endpoint());
        PromoteResult refused = kv.promote(a.endpoint());
        assertThat(refused.promoted()).isFalse();
        assertThat(refused.refusal()).contains("already primary");
        PromoteResult done = kv.promote(b.endpoint());
        assertThat(done.promoted()).isTrue();
        assertThat(done.epoch()).isEqualTo(2);
        assertThat(kv.shutdown(a.endpoint(), false)).isFalse();
        assertThat(a.shutdowns.get()).isEqualTo(1);
    }

    @Test
    void statusOfAnUnreachableNodeIsUnavailable() throws Exception {
        FakeNode a = node("primary", true);
        PbkvClient kv = client(quick(a));
        Endpoint dead = new Endpoint("127.0.0.1", closedPort());
        assertThatThrownBy(() -> kv.status(dead))
                .isInstanceOf(PbkvUnavailableException.class)
                .hasMessageContaining(dead.toString());
    }

    @Test
    void closeShutsEveryChannelAndLaterCallsFail() throws Exception {
        FakeNode a = node("primary", true);
        FakeNode b = node("backup", false);
        PbkvClient kv = quick(a, b).build();
        kv.put("a", "1");
        kv.close();
        assertThat(kv.isTerminated()).isTrue();
        assertThatThrownBy(() -> kv.get("a")).isInstanceOf(PbkvException.class);
    }

    @Test
    void fromSettingsReadsBothNodesGrpcAddresses(@TempDir Path dir) throws Exception {
        FakeNode a = node("primary", true);
        Path conf = dir.resolve("settings.conf");
        Files.writeString(
                conf,
                "{\"nodes\":{"
                        + "\"primary\":{\"host\":\"127.0.0.1\",\"grpc-port\":" + a.port() + "},"
                        + "\"backup\":{\"host\":\"127.0.0.1\",\"grpc-port\":" + closedPort() + "}}}");
        try (PbkvClient kv = PbkvClient.fromSettings(conf)) {
            assertThat(kv.endpoints()).hasSize(2).first().isEqualTo(a.endpoint());
            assertThat(kv.put("s", "1").isOk()).isTrue();
        }
        Files.writeString(conf, "{\"nodes\":{\"primary\":{\"host\":\"h\",\"grpc-port\":1}}}");
        assertThatThrownBy(() -> PbkvClient.fromSettings(conf))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("nodes.backup.host");
    }

    @Test
    void endpointParsingNamesWhatIsWrong() {
        assertThat(Endpoint.parse("h:1")).isEqualTo(new Endpoint("h", 1));
        assertThat(Endpoint.parse("[::1]:7001")).isEqualTo(new Endpoint("::1", 7001));
        assertThat(new Endpoint("::1", 7001)).hasToString("[::1]:7001");
        assertThatThrownBy(() -> Endpoint.parse("nohost")).hasMessageContaining("host:port");
        assertThatThrownBy(() -> Endpoint.parse("h:x")).hasMessageContaining("numeric port");
        assertThatThrownBy(() -> Endpoint.parse("h:70000")).hasMessageContaining("1..65535");
    }
}
