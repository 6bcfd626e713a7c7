package dev.pbkv.store;

import static dev.pbkv.store.TestStores.b;
import static dev.pbkv.store.TestStores.config;
import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A write asked to return the key's previous value (Redis's SET ... GET), read in its own step. */
class PreviousValueTest {
    private static final long T0 = 1_800_000_000_000L;

    @TempDir
    Path tmp;

    private final AtomicLong now = new AtomicLong(T0);

    private Store open() throws Exception {
        Store s = Store.open(config(tmp, FsyncPolicy.ALWAYS));
        s.setClock(now::get);
        return s;
    }

    private static Mutation returning(Op op, String key, String value) {
        return Mutation.of(op, b(key), b(value)).returningPrevious();
    }

    @Test
    void eachWriteKindAnswersTheValueBeforeIt() throws Exception {
        try (Store s = open()) {
            WriteResult first = s.apply(returning(Op.PUT, "k", "v1"));
            assertThat(first.outcome()).isEqualTo(WriteOutcome.CREATED);
            assertThat(first.previous()).isNull();
            WriteResult second = s.apply(returning(Op.PUT, "k", "v2"));
            assertThat(second.previous()).isEqualTo(b("v1"));
            assertThat(second.offset()).isEqualTo(second.answerOffset());

            WriteResult refused = s.apply(returning(Op.INSERT, "k", "v3"));
            assertThat(refused.outcome()).isEqualTo(WriteOutcome.PRESENT);
            assertThat(refused.previous()).isEqualTo(b("v2"));
            assertThat(refused.answerOffset())
                    .as("waits for the entry it answers")
                    .isEqualTo(second.offset());

            WriteResult updated = s.apply(returning(Op.UPDATE, "k", "v3"));
            assertThat(updated.previous()).isEqualTo(b("v2"));
            assertThat(s.lookup(b("k")).value()).isEqualTo(b("v3"));
            assertThat(s.apply(returning(Op.UPDATE, "absent", "v")).previous()).isNull();
            // A write not asked for it carries none.
            assertThat(s.apply(Mutation.of(Op.PUT, b("k"), b("v4"))).previous()).isNull();
        }
    }

    @Test
    void anExpiredKeyHadNoValue() throws Exception {
        try (Store s = open()) {
            s.apply(new Mutation(Op.PUT, b("k"), b("old"), 0, 0, T0 + 10));
            now.set(T0 + 10);
            WriteResult r = s.apply(returning(Op.PUT, "k", "new"));
            assertThat(r.outcome()).isEqualTo(WriteOutcome.CREATED);
            assertThat(r.previous()).isNull();
        }
    }
}
