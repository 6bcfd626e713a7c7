package dev.pbkv.server.auth;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class PasswordHashTest {

    @Test
    void aHashMatchesItsPasswordOnly() {
        String stored = PasswordHash.create("s3cret é".toCharArray(), 1000);
        PasswordHash hash = PasswordHash.parse(stored);
        assertThat(hash.matches("s3cret é".getBytes(StandardCharsets.UTF_8))).isTrue();
        assertThat(hash.matches("s3cret e".getBytes(StandardCharsets.UTF_8))).isFalse();
        assertThat(hash.matches(new byte[0])).isFalse();
    }

    @Test
    void twoHashesOfOnePasswordDifferByTheirSalt() {
        String a = PasswordHash.create("pw".toCharArray(), 1000);
        String b = PasswordHash.create("pw".toCharArray(), 1000);
        assertThat(a).startsWith("pbkdf2-sha256$1000$").isNotEqualTo(b);
        assertThat(PasswordHash.parse(b).matches("pw".getBytes(StandardCharsets.UTF_8)))
                .isTrue();
    }

    @Test
    void malformedHashesAreRefusedWithoutEchoingThem() {
        assertThatThrownBy(() -> PasswordHash.parse("hunter2"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageNotContaining("hunter2");
        assertThatThrownBy(() -> PasswordHash.parse("pbkdf2-sha256$10$AAAAAAAAAAAAAAAAAAAAAA$AAAA"))
                .hasMessageContaining("1000 iterations");
        assertThatThrownBy(() -> PasswordHash.parse("pbkdf2-sha256$1000$AAAAAAAAAAAAAAAAAAAAAA$AAAA"))
                .hasMessageContaining("length");
    }
}
