package dev.pbkv.server.command.watch;

import static org.assertj.core.api.Assertions.assertThat;

import dev.pbkv.server.command.ErrorCode;
import dev.pbkv.store.Effect;
import dev.pbkv.store.LogRecord;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/** The event mapping, the per-watcher buffer bound, batching and progress messages. */
class WatchTest {
    private final AtomicLong now = new AtomicLong();
    private final AtomicInteger signals = new AtomicInteger();

    private Watch watch(long startThrough, long limitBytes) {
        return new Watch(
                ChangeFilter.prefix(new byte[0]), false, startThrough, limitBytes, signals::incrementAndGet, now::get);
    }

    private static byte[] b(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    private static Change set(long offset, String key, int valueBytes) {
        return new Change(offset, ChangeKind.SET, b(key), new byte[valueBytes]);
    }

    @Test
    void aPutRecordIsOneSetWithItsValueAndADeleteOneDel() {
        List<Change> put = ChangeEvents.of(new LogRecord(7, 1, Effect.PUT, b("k"), b("v"), 0, 0));
        assertThat(put).hasSize(1);
        assertThat(put.get(0).offset()).isEqualTo(7);
        assertThat(put.get(0).kind()).isEqualTo(ChangeKind.SET);
        assertThat(put.get(0).value()).isEqualTo(b("v"));
        List<Change> del = ChangeEvents.of(new LogRecord(8, 1, Effect.DELETE, b("k"), new byte[0], 0, 0));
        assertThat(del).extracting(Change::kind).containsExactly(ChangeKind.DEL);
        assertThat(ChangeKind.SET.eventName()).isEqualTo("set");
        assertThat(ChangeKind.DEL.eventName()).isEqualTo("del");
        assertThat(ChangeKind.EXPIRED.eventName()).isEqualTo("expired");
    }

    @Test
    void anExpiredRecordIsOneExpiredAndSettingADeadlineChangesNoValue() {
        List<Change> expired = ChangeEvents.of(new LogRecord(9, 1, Effect.EXPIRED, b("k"), new byte[0], 0, 0));
        assertThat(expired).extracting(Change::kind).containsExactly(ChangeKind.EXPIRED);
        assertThat(expired.get(0).offset()).isEqualTo(9);
        assertThat(ChangeEvents.of(new LogRecord(10, 1, Effect.EXPIRE, b("k"), new byte[0], 0, 0)))
                .isEmpty();
    }

    @Test
    void filtersMatchAKeyExactlyOrByPrefix() {
        assertThat(ChangeFilter.key(b("a/b")).matches(b("a/b"))).isTrue();
        assertThat(ChangeFilter.key(b("a/b")).matches(b("a/bc"))).isFalse();
        assertThat(ChangeFilter.prefix(b("a/")).matches(b("a/bc"))).isTrue();
        assertThat(ChangeFilter.prefix(b("a/")).matches(b("a"))).isFalse();
        assertThat(ChangeFilter.prefix(new byte[0]).matches(b("anything"))).isTrue();
    }

    @Test
    void changesComeOutInOrderWithTheirThroughOffset() {
        Watch w = watch(10, 1 << 20);
        assertThat(w.startedAfter()).isEqualTo(10);
        assertThat(w.offer(set(11, "a", 1))).isTrue();
        assertThat(w.offer(set(13, "b", 1))).isTrue();
        w.advance(15);
        assertThat(signals.get()).isEqualTo(1);
        WatchBatch batch = w.poll(100);
        assertThat(batch.changes()).extracting(Change::offset).containsExactly(11L, 13L);
        assertThat(batch.through()).isEqualTo(15);
        assertThat(w.poll(100)).isNull(); // nothing new, and no progress due yet
    }

    @Test
    void aBatchNeverSplitsTheChangesOfOneRecord() {
        Watch w = watch(0, 1 << 20);
        w.offer(set(1, "a", 1));
        w.offer(set(2, "b", 1));
        w.offer(set(2, "c", 1)); // one record, two changes (a batch record)
        w.offer(set(3, "d", 1));
        w.advance(3);
        WatchBatch first = w.poll(2);
        assertThat(first.changes()).extracting(Change::offset).containsExactly(1L, 2L, 2L);
        assertThat(first.through()).isEqualTo(2);
        WatchBatch second = w.poll(2);
        assertThat(second.changes()).extracting(Change::offset).containsExactly(3L);
        assertThat(second.through()).isEqualTo(3);
    }

    @Test
    void aWatcherPastItsBufferLimitEndsResourceExhaustedAndSaysWhereToResume() {
        Watch w = watch(0, 4 * (100 + Change.OVERHEAD_BYTES + 1));
        w.offer(set(1, "a", 100));
        w.advance(1);
        assertThat(w.poll(10).through()).isEqualTo(1); // taken: the client has offset 1
        for (int i = 2; i <= 5; i++) {
            assertThat(w.offer(set(i, "a", 100))).isTrue();
        }
        assertThat(w.offer(set(6, "a", 100)))
                .as("the fifth waiting change passes the limit")
                .isFalse();
        assertThat(w.isDone()).isTrue();
        assertThat(w.poll(10)).isNull(); // the buffer was dropped
        var end = w.endedWith();
        assertThat(end.code()).isEqualTo(ErrorCode.RESOURCE_EXHAUSTED);
        assertThat(end.message()).contains("watcher fell behind").contains("watch again from offset 2");
        assertThat(w.offer(set(7, "a", 1))).isFalse();
    }

    @Test
    void aSingleChangeLargerThanTheLimitStillGoesThroughAlone() {
        Watch w = watch(0, 64);
        assertThat(w.offer(set(1, "a", 1000))).isTrue();
        assertThat(w.isDone()).isFalse();
    }

    @Test
    void progressIsReportedAtMostEverySecondWhenNothingMatched() {
        Watch w = watch(5, 1 << 20);
        w.advance(9);
        assertThat(w.poll(10)).isNull(); // too soon
        now.addAndGet(Watch.PROGRESS_INTERVAL_NANOS);
        w.tick();
        assertThat(signals.get()).isEqualTo(1);
        WatchBatch progress = w.poll(10);
        assertThat(progress.changes()).isEmpty();
        assertThat(progress.through()).isEqualTo(9);
        assertThat(w.poll(10)).isNull();
    }

    @Test
    void anEndedWatchDeliversWhatItBufferedFirst() {
        Watch w = watch(0, 1 << 20);
        w.offer(set(1, "a", 1));
        w.end(new dev.pbkv.server.command.Reply.Failure<>(ErrorCode.UNAVAILABLE, "stepped down"));
        assertThat(w.endedWith()).isNull();
        assertThat(w.poll(10).changes()).hasSize(1);
        assertThat(w.endedWith().code()).isEqualTo(ErrorCode.UNAVAILABLE);
    }
}
