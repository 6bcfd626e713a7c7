package dev.pbkv.server.command;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.pbkv.server.config.SettingsLoader;
import dev.pbkv.server.replication.SoloReplicator;
import dev.pbkv.server.role.Role;
import dev.pbkv.store.Store;
import dev.pbkv.store.StoreConfig;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The command layer's expiry on a primary with a clock the test drives (docs/expiry.md). */
class ExpiryCommandsTest {
    private static final long T0 = 1_800_000_000_000L;

    @TempDir
    Path dir;

    final AtomicLong now = new AtomicLong(T0);
    Store store;
    CommandLayer commands;

    private void open(String activeIntervalMs) throws Exception {
        store = Store.open(StoreConfig.defaults(dir.resolve("store")));
        store.setClock(now::get);
        SoloReplicator replicator = new SoloReplicator(store, Role.PRIMARY, () -> "127.0.0.1:7001");
        replicator.start();
        commands = new CommandLayer(
                store,
                replicator,
                SettingsLoader.withDefaults()
                        .set("expiry.active-interval-ms", activeIntervalMs)
                        .set("nodes.primary.data-dir", dir.resolve("p").toString())
                        .set("nodes.backup.data-dir", dir.resolve("b").toString())
                        .build(Role.PRIMARY),
                skip -> CompletableFuture.completedFuture(false));
    }

    @AfterEach
    void close() throws Exception {
        if (commands != null) {
            commands.close();
        }
        if (store != null) {
            store.close();
        }
    }

    static byte[] b(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    static <T> T ok(CompletableFuture<Reply<T>> f) {
        Reply<T> r = f.join();
        assertThat(r).isInstanceOf(Reply.Success.class);
        return ((Reply.Success<T>) r).value();
    }

    @Test
    void aKeyWithATtlIsHiddenFromEveryReadOnceDueAndTheActiveExpirerRemovesIt() throws Exception {
        open("10");
        ok(commands.put(b("k"), b("v"), Expiry.in(1000), WriteTag.NONE));
        ok(commands.put(b("plain"), b("v"), WriteTag.NONE));
        KeyTtl ttl = ok(commands.ttl(b("k"), false));
        assertThat(ttl.deadline()).isEqualTo(T0 + 1000);
        assertThat(ttl.remainingMillis()).isEqualTo(1000);
        assertThat(ok(commands.ttl(b("plain"), false)).remainingMillis()).isEqualTo(-1);

        now.addAndGet(1000);
        assertThat(commands.get(b("k"), false).join()).isInstanceOf(Reply.Failure.class);
        assertThat(ok(commands.exists(b("k"), false))).isFalse();
        assertThat(ok(commands.ttl(b("k"), false))).isEqualTo(KeyTtl.ABSENT);
        assertThat(ok(commands.scan(b(""), b(""), 0, false)))
                .extracting(kv -> new String(kv.key()))
                .containsExactly("plain");
        List<KeyValue> dumped = new ArrayList<>();
        ok(commands.dump(false, dumped::addAll));
        assertThat(dumped).hasSize(1);
        await().atMost(Duration.ofSeconds(10)).until(() -> ok(commands.count(false)) == 1);
        assertThat(store.lookupHeld(b("k")).found()).isFalse();
    }

    @Test
    void withoutActiveExpiryAReadQueuesTheRemoval() throws Exception {
        open("0");
        ok(commands.put(b("k"), b("v"), Expiry.in(10), WriteTag.NONE));
        now.addAndGet(10);
        // Held (and counted) until something touches it: the lag docs/expiry.md states.
        assertThat(ok(commands.count(false))).isEqualTo(1);
        assertThat(commands.get(b("k"), false).join()).isInstanceOf(Reply.Failure.class);
        await().atMost(Duration.ofSeconds(10)).until(() -> ok(commands.count(false)) == 0);
    }

    @Test
    void expireAndPersistAnswerAsRedis() throws Exception {
        open("0");
        assertThat(ok(commands.expire(b("absent"), Expiry.in(1000)))).isFalse();
        ok(commands.put(b("k"), b("v"), WriteTag.NONE));
        assertThat(ok(commands.expire(b("k"), Expiry.PERSIST))).isFalse();
        assertThat(ok(commands.expire(b("k"), Expiry.in(5000)))).isTrue();
        assertThat(ok(commands.ttl(b("k"), false)).remainingMillis()).isEqualTo(5000);
        assertThat(ok(commands.expire(b("k"), Expiry.PERSIST))).isTrue();
        assertThat(ok(commands.ttl(b("k"), false)).remainingMillis()).isEqualTo(-1);
        // KEEP keeps a deadline, a plain put clears it.
        ok(commands.expire(b("k"), Expiry.at(T0 + 7000)));
        ok(commands.put(b("k"), b("v2"), Expiry.KEEP, WriteTag.NONE));
        assertThat(ok(commands.ttl(b("k"), false)).deadline()).isEqualTo(T0 + 7000);
        ok(commands.update(b("k"), b("v3"), WriteTag.NONE));
        assertThat(ok(commands.ttl(b("k"), false)).deadline()).isZero();
        // A non-positive ttl deletes the key at once.
        assertThat(ok(commands.expire(b("k"), Expiry.in(0)))).isTrue();
        assertThat(ok(commands.exists(b("k"), false))).isFalse();
        assertThat(ok(commands.count(false))).isZero();
    }

    @Test
    void aBadTtlIsRefusedAndNothingIsWritten() throws Exception {
        open("0");
        Reply<WriteAck> r =
                commands.put(b("k"), b("v"), Expiry.in(0), WriteTag.NONE).join();
        assertThat(r)
                .isInstanceOfSatisfying(
                        Reply.Failure.class, f -> assertThat(f.code()).isEqualTo(ErrorCode.INVALID_ARGUMENT));
        assertThat(commands.put(b("k"), b("v"), Expiry.in(Long.MAX_VALUE), WriteTag.NONE)
                        .join())
                .isInstanceOf(Reply.Failure.class);
        assertThat(ok(commands.count(false))).isZero();
        assertThat(store.lastOffset()).isZero();
    }

    @Test
    void insertOverAnExpiredKeySucceeds() throws Exception {
        open("0");
        ok(commands.insert(b("k"), b("1"), Expiry.in(10), WriteTag.NONE));
        now.addAndGet(10);
        WriteAck ack = ok(commands.insert(b("k"), b("2"), WriteTag.NONE));
        assertThat(ack.created()).isTrue();
        assertThat(ok(commands.get(b("k"), false))).isEqualTo(b("2"));
    }

    static final ExpireCondition NX = new ExpireCondition(true, false, false, false);
    static final ExpireCondition XX = new ExpireCondition(false, true, false, false);
    static final ExpireCondition GT = new ExpireCondition(false, false, true, false);
    static final ExpireCondition LT = new ExpireCondition(false, false, false, true);

    private long deadlineOf(String key) {
        return ok(commands.ttl(b(key), false)).deadline();
    }

    @Test
    void expireConditionsAnswerAsRedis7() throws Exception {
        open("0");
        ok(commands.put(b("k"), b("v"), WriteTag.NONE));
        assertThat(ok(commands.expire(b("k"), Expiry.in(5000), XX)))
                .as("XX, no ttl")
                .isFalse();
        assertThat(ok(commands.expire(b("k"), Expiry.in(5000), GT)))
                .as("GT, no ttl")
                .isFalse();
        assertThat(deadlineOf("k")).isZero();
        assertThat(ok(commands.expire(b("k"), Expiry.in(5000), NX)))
                .as("NX, no ttl")
                .isTrue();
        assertThat(deadlineOf("k")).isEqualTo(T0 + 5000);
        assertThat(ok(commands.expire(b("k"), Expiry.in(9000), NX)))
                .as("NX, a ttl")
                .isFalse();
        assertThat(ok(commands.expire(b("k"), Expiry.in(9000), LT)))
                .as("LT, later")
                .isFalse();
        assertThat(ok(commands.expire(b("k"), Expiry.in(5000), GT)))
                .as("GT, equal")
                .isFalse();
        assertThat(deadlineOf("k")).isEqualTo(T0 + 5000);
        assertThat(ok(commands.expire(b("k"), Expiry.in(9000), GT)))
                .as("GT, later")
                .isTrue();
        assertThat(deadlineOf("k")).isEqualTo(T0 + 9000);
        assertThat(ok(commands.expire(b("k"), Expiry.in(2000), LT)))
                .as("LT, sooner")
                .isTrue();
        assertThat(deadlineOf("k")).isEqualTo(T0 + 2000);
        assertThat(ok(commands.expire(b("k"), Expiry.in(3000), XX)))
                .as("XX, a ttl")
                .isTrue();
        assertThat(deadlineOf("k")).isEqualTo(T0 + 3000);
        assertThat(ok(commands.expire(b("k"), Expiry.in(-1), GT)))
                .as("GT, a time passed")
                .isFalse();
        assertThat(ok(commands.exists(b("k"), false))).isTrue();
        assertThat(ok(commands.expire(b("k"), Expiry.in(-1), LT)))
                .as("LT, a time passed deletes")
                .isTrue();
        assertThat(ok(commands.exists(b("k"), false))).isFalse();
        assertThat(ok(commands.expire(b("k"), Expiry.in(1000), LT)))
                .as("absent")
                .isFalse();

        ok(commands.put(b("p"), b("v"), WriteTag.NONE));
        assertThat(ok(commands.expire(b("p"), Expiry.at(T0 + 4000), LT)))
                .as("LT, no ttl")
                .isTrue();
        assertThat(deadlineOf("p")).isEqualTo(T0 + 4000);
    }

    @Test
    void incompatibleConditionsAreRefusedAndChangeNothing() throws Exception {
        open("0");
        ok(commands.put(b("k"), b("v"), WriteTag.NONE));
        for (ExpireCondition bad : List.of(
                new ExpireCondition(true, true, false, false),
                new ExpireCondition(true, false, true, false),
                new ExpireCondition(false, false, true, true))) {
            Reply<Boolean> r = commands.expire(b("k"), Expiry.in(5000), bad).join();
            assertThat(r).isInstanceOf(Reply.Failure.class);
            assertThat(((Reply.Failure<Boolean>) r).code()).isEqualTo(ErrorCode.INVALID_ARGUMENT);
        }
        assertThat(((Reply.Failure<Boolean>)
                                commands.expire(b("k"), Expiry.PERSIST, NX).join())
                        .code())
                .isEqualTo(ErrorCode.INVALID_ARGUMENT);
        assertThat(deadlineOf("k")).isZero();
    }

    @Test
    void concurrentNxExpiresSetTheDeadlineOnceBecauseTheCheckIsInTheWritesStep() throws Exception {
        open("0");
        for (int round = 0; round < 20; round++) {
            byte[] key = b("race" + round);
            ok(commands.put(key, b("v"), WriteTag.NONE));
            int writers = 8;
            java.util.concurrent.CyclicBarrier barrier = new java.util.concurrent.CyclicBarrier(writers);
            List<CompletableFuture<Boolean>> answers = new ArrayList<>();
            for (int w = 0; w < writers; w++) {
                long ttl = 10_000 + w;
                answers.add(CompletableFuture.supplyAsync(() -> {
                    try {
                        barrier.await();
                    } catch (Exception e) {
                        throw new IllegalStateException(e);
                    }
                    return ok(commands.expire(key, Expiry.in(ttl), NX));
                }));
            }
            List<Long> winners = new ArrayList<>();
            for (int w = 0; w < writers; w++) {
                if (answers.get(w).join()) {
                    winners.add(T0 + 10_000 + w);
                }
            }
            assertThat(winners).as("round %d", round).hasSize(1);
            assertThat(store.lookupHeld(key).deadline()).isEqualTo(winners.get(0));
        }
    }

    @Test
    void setReturningPreviousAnswersTheValueFromJustBeforeTheWrite() throws Exception {
        open("0");
        assertThat(ok(commands.setReturningPrevious(b("k"), b("v1"), Expiry.NONE, SetMode.PUT)))
                .isNull();
        assertThat(ok(commands.setReturningPrevious(b("k"), b("v2"), Expiry.in(5000), SetMode.PUT)))
                .isEqualTo(b("v1"));
        assertThat(deadlineOf("k")).isEqualTo(T0 + 5000);
        // A refused insert writes nothing and still answers the value there.
        assertThat(ok(commands.setReturningPrevious(b("k"), b("v3"), Expiry.NONE, SetMode.INSERT)))
                .isEqualTo(b("v2"));
        assertThat(ok(commands.get(b("k"), false))).isEqualTo(b("v2"));
        assertThat(ok(commands.setReturningPrevious(b("k"), b("v3"), Expiry.KEEP, SetMode.UPDATE)))
                .isEqualTo(b("v2"));
        assertThat(deadlineOf("k")).isEqualTo(T0 + 5000);
        assertThat(ok(commands.setReturningPrevious(b("absent"), b("v"), Expiry.NONE, SetMode.UPDATE)))
                .isNull();
        assertThat(ok(commands.exists(b("absent"), false))).isFalse();
        now.addAndGet(5000);
        assertThat(ok(commands.setReturningPrevious(b("k"), b("v4"), Expiry.NONE, SetMode.PUT)))
                .as("an expired key had no value")
                .isNull();
        Reply<byte[]> bad = commands.setReturningPrevious(b("k"), b("v"), Expiry.in(0), SetMode.PUT)
                .join();
        assertThat(((Reply.Failure<byte[]>) bad).code()).isEqualTo(ErrorCode.INVALID_ARGUMENT);
        assertThat(ok(commands.get(b("k"), false))).isEqualTo(b("v4"));
    }

    @Test
    void concurrentSetGetsEachSeeTheValueTheWriteBeforeThemLeft() throws Exception {
        open("0");
        ok(commands.put(b("k"), b("0"), WriteTag.NONE));
        int writers = 8;
        List<CompletableFuture<byte[]>> answers = new ArrayList<>();
        for (int w = 1; w <= writers; w++) {
            byte[] value = b(String.valueOf(w));
            answers.add(CompletableFuture.supplyAsync(
                    () -> ok(commands.setReturningPrevious(b("k"), value, Expiry.NONE, SetMode.PUT))));
        }
        // Each write's old value is unique: the writes form one chain 0 -> w1 -> w2 ... with no
        // value seen twice (a read before the write, apart from it, could see one twice).
        List<String> seen = new ArrayList<>();
        for (CompletableFuture<byte[]> a : answers) {
            seen.add(new String(a.join(), StandardCharsets.UTF_8));
        }
        seen.add(new String(ok(commands.get(b("k"), false)), StandardCharsets.UTF_8));
        assertThat(seen).doesNotHaveDuplicates().hasSize(writers + 1);
        assertThat(seen).contains("0");
    }
}
