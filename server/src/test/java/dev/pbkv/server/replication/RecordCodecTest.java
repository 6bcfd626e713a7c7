package dev.pbkv.server.replication;

import static org.assertj.core.api.Assertions.assertThat;

import dev.pbkv.proto.replication.ReplRecord;
import dev.pbkv.store.Effect;
import dev.pbkv.store.LogRecord;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class RecordCodecTest {

    private static byte[] b(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    private static LogRecord roundTrip(LogRecord r) {
        return RecordCodec.fromWire(RecordCodec.toWire(r));
    }

    @Test
    void batchRecordsTravelAsTheirPayloadAndComeBackWhole() {
        LogRecord batch = new LogRecord(7, 2, Effect.BATCH, new byte[0], b("payload"), 11, 12);
        ReplRecord wire = RecordCodec.toWire(batch);
        assertThat(wire.getBatch().toStringUtf8()).isEqualTo("payload");
        assertThat(wire.getExpiryEffect()).isEqualTo(ReplRecord.ExpiryEffect.EXPIRY_EFFECT_NONE);

        LogRecord back = RecordCodec.fromWire(wire);
        assertThat(back.effect()).isEqualTo(Effect.BATCH);
        assertThat(back.value()).isEqualTo(b("payload"));
        assertThat(back.key()).isEmpty();
        assertThat(new long[] {back.offset(), back.epoch(), back.clientId(), back.sequence()})
                .containsExactly(7, 2, 11, 12);
    }

    @Test
    void everyOtherEffectComesBackWithKeyValueAndDeadline() {
        for (Effect effect : new Effect[] {Effect.PUT, Effect.DELETE, Effect.EXPIRE, Effect.EXPIRED}) {
            LogRecord r = new LogRecord(3, 1, effect, b("k"), b("v"), 5, 6, 1_000L);
            LogRecord back = roundTrip(r);
            assertThat(back.effect()).as("%s", effect).isEqualTo(effect);
            assertThat(back.key()).isEqualTo(b("k"));
            assertThat(back.value()).isEqualTo(b("v"));
            assertThat(back.deadline()).isEqualTo(1_000L);
            assertThat(new long[] {back.offset(), back.epoch(), back.clientId(), back.sequence()})
                    .containsExactly(3, 1, 5, 6);
        }
    }
}
