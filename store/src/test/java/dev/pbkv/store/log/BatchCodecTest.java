package dev.pbkv.store.log;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.pbkv.store.Effect;
import dev.pbkv.store.LogRecord;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.zip.CRC32C;
import org.junit.jupiter.api.Test;

class BatchCodecTest {
    private static byte[] b(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    private static LogRecord put(String k, String v) {
        return new LogRecord(0, 0, Effect.PUT, b(k), b(v), 0, 0);
    }

    private static LogRecord del(String k) {
        return new LogRecord(0, 0, Effect.DELETE, b(k), new byte[0], 0, 0);
    }

    private static LogRecord batchRecord(byte[] payload) {
        return new LogRecord(42, 3, Effect.BATCH, new byte[0], payload, 7, 9);
    }

    @Test
    void payloadRoundTripsEffectsInOrderWithTheBatchOffsetAndEpoch() throws Exception {
        List<LogRecord> effects = List.of(put("a", "1"), del("b"), put("a", ""), put("c", "x".repeat(1000)));
        byte[] payload = BatchCodec.encode(effects);
        assertThat(payload).hasSize(BatchCodec.encodedSize(effects));

        List<LogRecord> back = BatchCodec.expand(batchRecord(payload));

        assertThat(back).hasSize(4);
        for (int i = 0; i < effects.size(); i++) {
            assertThat(back.get(i).effect()).isEqualTo(effects.get(i).effect());
            assertThat(back.get(i).key()).isEqualTo(effects.get(i).key());
            assertThat(back.get(i).value()).isEqualTo(effects.get(i).value());
            assertThat(back.get(i).offset()).isEqualTo(42);
            assertThat(back.get(i).epoch()).isEqualTo(3);
        }
    }

    @Test
    void batchRecordRoundTripsThroughTheLogRecordCodec() throws Exception {
        LogRecord rec = batchRecord(BatchCodec.encode(List.of(put("k1", "v1"), del("k2"))));
        ByteBuffer buf = ByteBuffer.allocate(RecordCodec.encodedSize(rec));
        CRC32C crc = new CRC32C();
        RecordCodec.encode(rec, buf, crc);
        assertThat(buf.get(RecordCodec.HEADER_BYTES + 16)).as("effect byte").isEqualTo((byte) 6);

        LogRecord back = RecordCodec.decode(buf, 0, crc);

        assertThat(back.effect()).isEqualTo(Effect.BATCH);
        assertThat(back.value()).isEqualTo(rec.value());
        assertThat(back.clientId()).isEqualTo(7);
        assertThat(back.sequence()).isEqualTo(9);
    }

    @Test
    void putAndDeleteRecordsKeepTheirBytes() throws Exception {
        // Old logs still read: the layout of effects 1 and 2 is unchanged.
        LogRecord rec = new LogRecord(1, 1, Effect.DELETE, b("k"), new byte[0], 0, 0);
        ByteBuffer buf = ByteBuffer.allocate(RecordCodec.encodedSize(rec));
        RecordCodec.encode(rec, buf, new CRC32C());
        assertThat(buf.get(RecordCodec.HEADER_BYTES + 16)).isEqualTo((byte) 2);
        assertThat(RecordCodec.decode(buf, 0, new CRC32C()).effect()).isEqualTo(Effect.DELETE);
    }

    @Test
    void everyTruncationOfAPayloadIsRefused() {
        byte[] payload = BatchCodec.encode(List.of(put("k1", "value"), del("k2")));
        for (int len = 0; len < payload.length; len++) {
            byte[] cut = java.util.Arrays.copyOf(payload, len);
            assertThatThrownBy(() -> BatchCodec.expand(batchRecord(cut)))
                    .as("cut at %d", len)
                    .isInstanceOf(RecordCodec.CorruptRecordException.class);
        }
    }

    @Test
    void corruptPayloadsAreRefusedWithAReason() {
        byte[] good = BatchCodec.encode(List.of(put("k1", "v")));
        byte[] badVersion = good.clone();
        badVersion[0] = 9;
        byte[] badEffect = good.clone();
        badEffect[5] = 4;
        byte[] hugeCount = good.clone();
        ByteBuffer.wrap(hugeCount).putInt(1, Integer.MAX_VALUE);
        byte[] trailing = java.util.Arrays.copyOf(good, good.length + 1);
        byte[] zeroCount = good.clone();
        ByteBuffer.wrap(zeroCount).putInt(1, 0);

        assertThatThrownBy(() -> BatchCodec.expand(batchRecord(badVersion))).hasMessageContaining("version");
        assertThatThrownBy(() -> BatchCodec.expand(batchRecord(badEffect))).hasMessageContaining("unknown effect");
        assertThatThrownBy(() -> BatchCodec.expand(batchRecord(hugeCount))).hasMessageContaining("count");
        assertThatThrownBy(() -> BatchCodec.expand(batchRecord(zeroCount))).hasMessageContaining("count");
        assertThatThrownBy(() -> BatchCodec.expand(batchRecord(trailing))).hasMessageContaining("after the last");
    }

    @Test
    void aBatchRecordWhosePayloadDoesNotParseIsACorruptRecord() {
        // A valid crc over a payload that does not parse (a writer bug) is still refused whole.
        LogRecord rec = batchRecord(new byte[] {1, 0, 0, 0, 1, 1});
        ByteBuffer buf = ByteBuffer.allocate(RecordCodec.encodedSize(rec));
        RecordCodec.encode(rec, buf, new CRC32C());
        assertThatThrownBy(() -> RecordCodec.decode(buf, 0, new CRC32C()))
                .isInstanceOf(RecordCodec.CorruptRecordException.class);
    }

    @Test
    void anEmptyBatchCannotBeEncoded() {
        assertThatThrownBy(() -> BatchCodec.encode(List.of())).isInstanceOf(IllegalArgumentException.class);
    }
}
