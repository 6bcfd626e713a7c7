package dev.pbkv.store.log;

import static org.assertj.core.api.Assertions.assertThat;

import dev.pbkv.store.Effect;
import dev.pbkv.store.LogRecord;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.zip.CRC32C;
import org.junit.jupiter.api.Test;

/** The expiry effects (bytes 3, 4, 5) round-trip; bytes 1 and 2 keep their old size. */
class RecordCodecDeadlineTest {
    private static final byte[] K = "key".getBytes(StandardCharsets.UTF_8);
    private static final byte[] V = "value".getBytes(StandardCharsets.UTF_8);
    private static final byte[] EMPTY = new byte[0];

    private static LogRecord roundTrip(LogRecord rec) throws Exception {
        ByteBuffer buf = ByteBuffer.allocate(RecordCodec.encodedSize(rec));
        CRC32C crc = new CRC32C();
        RecordCodec.encode(rec, buf, crc);
        assertThat(buf.position()).isEqualTo(buf.capacity());
        return RecordCodec.decode(buf, 0, crc);
    }

    @Test
    void everyEffectRoundTripsWithItsDeadline() throws Exception {
        LogRecord put = new LogRecord(7, 2, Effect.PUT, K, V, 11, 12, 1_800_000_000_123L);
        LogRecord expire = new LogRecord(8, 2, Effect.EXPIRE, K, EMPTY, 0, 0, 1_800_000_000_456L);
        LogRecord persist = new LogRecord(9, 2, Effect.EXPIRE, K, EMPTY, 0, 0, 0);
        LogRecord expired = new LogRecord(10, 2, Effect.EXPIRED, K, EMPTY, 0, 0);
        for (LogRecord r : new LogRecord[] {put, expire, persist, expired}) {
            LogRecord back = roundTrip(r);
            assertThat(back.effect()).isEqualTo(r.effect());
            assertThat(back.deadline()).isEqualTo(r.deadline());
            assertThat(back.offset()).isEqualTo(r.offset());
            assertThat(back.key()).isEqualTo(K);
            assertThat(back.value()).isEqualTo(r.value());
        }
    }

    @Test
    void plainPutAndDeleteKeepTheOldLayout() throws Exception {
        LogRecord put = new LogRecord(1, 1, Effect.PUT, K, V, 0, 0);
        LogRecord delete = new LogRecord(2, 1, Effect.DELETE, K, EMPTY, 0, 0);
        assertThat(RecordCodec.encodedSize(put))
                .isEqualTo(RecordCodec.HEADER_BYTES + RecordCodec.MIN_BODY_BYTES + K.length + V.length);
        assertThat(RecordCodec.encodedSize(delete))
                .isEqualTo(RecordCodec.HEADER_BYTES + RecordCodec.MIN_BODY_BYTES + K.length);
        ByteBuffer buf = ByteBuffer.allocate(RecordCodec.encodedSize(put));
        RecordCodec.encode(put, buf, new CRC32C());
        assertThat(buf.get(RecordCodec.HEADER_BYTES + 16)).isEqualTo((byte) 1);
        assertThat(roundTrip(put).deadline()).isZero();
        assertThat(roundTrip(delete).effect()).isEqualTo(Effect.DELETE);
    }
}
