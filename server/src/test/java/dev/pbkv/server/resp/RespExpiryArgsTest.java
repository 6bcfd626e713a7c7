package dev.pbkv.server.resp;

import static org.assertj.core.api.Assertions.assertThat;

import dev.pbkv.server.command.ExpireCondition;
import dev.pbkv.server.command.Expiry;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

/** EXPIRE's options and errors as Redis 7 reads them (docs/resp.md). */
class RespExpiryArgsTest {
    private static RespExpiryArgs.ExpireArgs expire(String... words) {
        byte[][] args = Arrays.stream(words)
                .map(w -> w.getBytes(StandardCharsets.UTF_8))
                .toArray(byte[][]::new);
        return RespExpiryArgs.expire(args, "expire", true, false);
    }

    @Test
    void eachOptionBecomesItsCondition() {
        assertThat(expire("EXPIRE", "k", "10").condition()).isEqualTo(ExpireCondition.NONE);
        assertThat(expire("EXPIRE", "k", "10", "nx").condition())
                .isEqualTo(new ExpireCondition(true, false, false, false));
        assertThat(expire("EXPIRE", "k", "10", "XX", "LT").condition())
                .isEqualTo(new ExpireCondition(false, true, false, true));
        assertThat(expire("EXPIRE", "k", "10", "GT", "GT").condition())
                .isEqualTo(new ExpireCondition(false, false, true, false));
        assertThat(expire("EXPIRE", "k", "10", "GT").expiry()).isEqualTo(Expiry.in(10_000));
    }

    @Test
    void incompatibleOptionsAnswerRedisErrorsBeforeTheTimeIsRead() {
        assertThat(expire("EXPIRE", "k", "10", "NX", "XX").error())
                .isEqualTo("ERR NX and XX, GT or LT options at the same time are not compatible");
        assertThat(expire("EXPIRE", "k", "10", "LT", "NX").error())
                .isEqualTo("ERR NX and XX, GT or LT options at the same time are not compatible");
        assertThat(expire("EXPIRE", "k", "soon", "GT", "LT").error())
                .isEqualTo("ERR GT and LT options at the same time are not compatible");
        assertThat(expire("EXPIRE", "k", "10", "GT", "BAR").error()).isEqualTo("ERR Unsupported option BAR");
        assertThat(expire("EXPIRE", "k", "soon", "GT").error()).isEqualTo(RespExpiryArgs.NOT_AN_INTEGER);
    }
}
