package dev.pbkv.tester.linearizability;

import static org.assertj.core.api.Assertions.assertThat;

import dev.pbkv.tester.history.Answer;
import dev.pbkv.tester.history.Op;
import dev.pbkv.tester.history.OpKind;
import dev.pbkv.tester.history.Outcome;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Hand-made histories, linearizable and not, and the window the checker shows for a failure. */
class LinearizabilityCheckerTest {
    private final List<Op> ops = new ArrayList<>();
    private final LinearizabilityChecker checker = new LinearizabilityChecker();

    private Op add(Op op) {
        ops.add(op);
        return op;
    }

    private void ok(int c, OpKind kind, String value, long call, long ret, Answer a) {
        add(Op.ok(ops.size(), c, kind, "k", value, call, ret, a));
    }

    private void put(int c, String v, long call, long ret) {
        ok(c, OpKind.PUT, v, call, ret, Answer.APPLIED);
    }

    private void get(int c, String v, long call, long ret) {
        ok(c, OpKind.GET, v, call, ret, v == null ? Answer.ABSENT : Answer.VALUE);
    }

    private void unknownPut(int c, String v, long call, long ret) {
        add(Op.unknown(ops.size(), c, OpKind.PUT, "k", v, call, ret));
    }

    private boolean linearizable() {
        return checker.check(ops).linearizable();
    }

    @Test
    void aSequentialHistoryOfEveryOpIsLinearizable() {
        put(0, "a", 0, 1);
        get(0, "a", 2, 3);
        ok(0, OpKind.DELETE, null, 4, 5, Answer.APPLIED);
        get(0, null, 6, 7);
        ok(0, OpKind.DELETE, null, 8, 9, Answer.NOT_FOUND);
        ok(0, OpKind.UPDATE, "x", 10, 11, Answer.NOT_FOUND);
        ok(0, OpKind.INSERT, "b", 12, 13, Answer.APPLIED);
        ok(0, OpKind.INSERT, "c", 14, 15, Answer.ALREADY_EXISTS);
        ok(0, OpKind.UPDATE, "d", 16, 17, Answer.APPLIED);
        get(0, "d", 18, 19);
        assertThat(linearizable()).isTrue();
    }

    @Test
    void concurrentWritesMayBeSeenInEitherOrderButNotBoth() {
        put(0, "x", 0, 10);
        put(1, "y", 1, 11);
        get(2, "x", 12, 13);
        assertThat(linearizable()).isTrue();
        get(2, "y", 14, 15);
        assertThat(linearizable()).as("x then y read after both completed").isFalse();
    }

    @Test
    void aReadConcurrentWithAWriteMaySeeEitherValue() {
        put(0, "a", 0, 1);
        put(1, "b", 2, 10);
        get(2, "a", 3, 4);
        get(2, "b", 5, 6);
        assertThat(linearizable()).isTrue();
    }

    @Test
    void aLostAcknowledgedWriteIsCaught() {
        put(0, "a", 0, 1);
        get(1, null, 2, 3);
        assertThat(linearizable()).isFalse();
    }

    @Test
    void aStaleReadIsCaught() {
        put(0, "a", 0, 1);
        put(0, "b", 2, 3);
        get(1, "a", 4, 5);
        assertThat(linearizable()).isFalse();
    }

    @Test
    void aReadOfAWriteAnsweredAsFailedIsCaught() {
        add(Op.failed(0, 0, OpKind.PUT, "k", "a", 0, 1));
        get(1, "a", 2, 3);
        assertThat(linearizable()).isFalse();
    }

    @Test
    void aWriteOfUnknownOutcomeMayTakeEffectLongAfterItsClientGaveUp() {
        unknownPut(0, "a", 0, 1);
        get(1, null, 2, 3);
        get(1, "a", 100, 101);
        assertThat(linearizable()).isTrue();
    }

    @Test
    void aWriteOfUnknownOutcomeMayNeverTakeEffect() {
        put(0, "z", 0, 1);
        unknownPut(0, "a", 2, 3);
        get(1, "z", 200, 201);
        assertThat(linearizable()).isTrue();
    }

    @Test
    void aWriteOfUnknownOutcomeTakesEffectAtMostOnce() {
        put(0, "z", 0, 1);
        unknownPut(0, "a", 2, 3);
        get(1, "a", 10, 11);
        get(1, "z", 12, 13);
        assertThat(linearizable()).isFalse();
    }

    @Test
    void aWriteOfUnknownOutcomeCannotTakeEffectBeforeItsInvocation() {
        get(1, "a", 0, 1);
        unknownPut(0, "a", 2, 3);
        assertThat(linearizable()).isFalse();
    }

    @Test
    void aGetOfUnknownOutcomeSaysNothing() {
        put(0, "a", 0, 1);
        add(Op.unknown(1, 1, OpKind.GET, "k", "b", 2, 3));
        assertThat(linearizable()).isTrue();
    }

    @Test
    void answersAreCheckedAgainstTheRegister() {
        ok(0, OpKind.INSERT, "a", 0, 1, Answer.APPLIED);
        ok(0, OpKind.INSERT, "b", 2, 3, Answer.APPLIED);
        assertThat(linearizable()).as("second insert of a present key applied").isFalse();
        ops.clear();
        ok(0, OpKind.UPDATE, "a", 0, 1, Answer.APPLIED);
        assertThat(linearizable()).as("update of an absent key applied").isFalse();
        ops.clear();
        put(0, "a", 0, 1);
        ok(0, OpKind.DELETE, null, 2, 3, Answer.NOT_FOUND);
        assertThat(linearizable()).as("delete of a present key not found").isFalse();
        ops.clear();
        put(0, "a", 0, 1);
        add(new Op(1, 0, OpKind.PUT, "k", "b", 2, 3, Outcome.OK, Answer.APPLIED, true, "", ""));
        assertThat(linearizable()).as("put said 'created' over a present key").isFalse();
    }

    @Test
    void onlyTheKeyThatFailsIsReported() {
        add(Op.ok(0, 0, OpKind.PUT, "good", "a", 0, 1, Answer.APPLIED));
        add(Op.ok(1, 0, OpKind.GET, "good", "a", 2, 3, Answer.VALUE));
        add(Op.ok(2, 0, OpKind.PUT, "bad", "a", 0, 1, Answer.APPLIED));
        add(Op.ok(3, 0, OpKind.GET, "bad", null, 2, 3, Answer.ABSENT));
        LinearizabilityChecker.Result r = checker.check(ops);
        assertThat(r.keys()).isEqualTo(2);
        assertThat(r.failures()).extracting(KeyVerdict::key).containsExactly("bad");
    }

    @Test
    void theWindowIsTheFewOpsAroundTheFailureNotTheWholeHistory() {
        long t = 0;
        for (int i = 0; i < 200; i++) {
            put(i % 3, "v" + i, t, t + 5);
            get((i + 1) % 3, "v" + i, t + 6, t + 8);
            t += 10;
        }
        put(0, "last", t, t + 5);
        get(1, "v199", t + 6, t + 8); // stale
        for (int i = 0; i < 20; i++) { // more history after the failure
            t += 10;
            put(2, "after" + i, t, t + 5);
        }
        LinearizabilityChecker.Result r = checker.check(ops);
        assertThat(r.failures()).hasSize(1);
        KeyVerdict v = r.failures().get(0);
        assertThat(v.fromAnyState()).isTrue();
        assertThat(v.window()).hasSizeLessThanOrEqualTo(3);
        assertThat(v.window().get(v.window().size() - 1).value()).isEqualTo("v199");
        assertThat(v.window()).extracting(Op::value).contains("last");
        String text = LinearizabilityChecker.describe(v);
        assertThat(text).contains("NOT LINEARIZABLE").contains("put k \"last\"").contains("get k -> ok \"v199\"");
    }

    /** Simulates a real register with random linearization points inside each op's interval. */
    private static List<Op> randomLinearizableHistory(long seed, int clients, int perClient, double unknownShare) {
        Random rnd = new Random(seed);
        List<Op> out = new ArrayList<>();
        long[] free = new long[clients]; // when each client may call next
        String state = null;
        long clock = 0;
        int written = 0;
        for (int step = 0; step < clients * perClient; step++) {
            int c = rnd.nextInt(clients);
            long call = Math.max(free[c], clock - rnd.nextInt(5));
            long point = Math.max(call, clock) + 1 + rnd.nextInt(3); // linearization point, after every earlier one
            clock = point;
            long ret = point + 1 + rnd.nextInt(20);
            free[c] = ret + 1;
            OpKind kind = OpKind.values()[rnd.nextInt(OpKind.values().length)];
            String value = kind == OpKind.DELETE || kind == OpKind.GET ? null : "v" + (written++);
            boolean unknown = kind != OpKind.GET && rnd.nextDouble() < unknownShare;
            boolean happens = !unknown || rnd.nextBoolean();
            Answer a;
            boolean present = state != null;
            switch (kind) {
                case GET -> {
                    a = present ? Answer.VALUE : Answer.ABSENT;
                    value = state;
                }
                case PUT -> {
                    a = Answer.APPLIED;
                    if (happens) state = value;
                }
                case INSERT -> {
                    a = present ? Answer.ALREADY_EXISTS : Answer.APPLIED;
                    if (happens && !present) state = value;
                }
                case UPDATE -> {
                    a = present ? Answer.APPLIED : Answer.NOT_FOUND;
                    if (happens && present) state = value;
                }
                default -> {
                    a = present ? Answer.APPLIED : Answer.NOT_FOUND;
                    if (happens) state = null;
                }
            }
            out.add(
                    unknown
                            ? Op.unknown(out.size(), c, kind, "k", value, call, ret)
                            : Op.ok(out.size(), c, kind, "k", value, call, ret, a));
        }
        return out;
    }

    @Test
    @Timeout(60)
    void longConcurrentLinearizableHistoriesPassQuickly() {
        for (long seed = 1; seed <= 5; seed++) {
            List<Op> h = randomLinearizableHistory(seed, 4, 1000, 0.02);
            long t0 = System.nanoTime();
            assertThat(checker.check(h).linearizable()).as("seed " + seed).isTrue();
            assertThat(Duration.ofNanos(System.nanoTime() - t0)).isLessThan(Duration.ofSeconds(10));
        }
    }

    @Test
    void oneCorruptedReadInALongHistoryIsCaught() {
        List<Op> h = new ArrayList<>(randomLinearizableHistory(7, 4, 500, 0.0));
        // A read of a value no write ever wrote.
        Op last = h.get(h.size() - 1);
        h.add(Op.ok(
                h.size(),
                9,
                OpKind.GET,
                "k",
                "never-written",
                last.returnNanos() + 1,
                last.returnNanos() + 2,
                Answer.VALUE));
        LinearizabilityChecker.Result r = checker.check(h);
        assertThat(r.linearizable()).isFalse();
        assertThat(r.failures().get(0).window()).last().extracting(Op::value).isEqualTo("never-written");
    }
}
