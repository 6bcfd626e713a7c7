package dev.pbkv.server.auth;

import static org.assertj.core.api.Assertions.assertThat;

import dev.pbkv.server.config.AuthSettings;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;

class AuthenticatorTest {
    private static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    private static Authenticator withUsers(long failureDelayMs) {
        return Authenticator.of(new AuthSettings(
                Map.of(
                        "reader", new AuthSettings.User("read", PasswordHash.create("r-pw".toCharArray(), 1000)),
                        "boss", new AuthSettings.User("admin", PasswordHash.create("b-pw".toCharArray(), 1000))),
                true,
                failureDelayMs,
                null));
    }

    @Test
    void noUsersMeansEveryCallerIsUnrestricted() {
        try (Authenticator a = Authenticator.of(new AuthSettings(Map.of(), true, 200, null))) {
            assertThat(a.required()).isFalse();
            assertThat(a.authenticate("anyone", utf8("x")).join()).contains(Principal.UNRESTRICTED);
        }
    }

    @Test
    void theRightPasswordProvesTheUserAndItsAccess() {
        try (Authenticator a = withUsers(10)) {
            assertThat(a.authenticate("reader", utf8("r-pw")).join()).contains(new Principal("reader", Access.READ));
            assertThat(a.authenticate("boss", utf8("b-pw")).join()).contains(new Principal("boss", Access.ADMIN));
            assertThat(a.failures()).isZero();
        }
    }

    @Test
    void aWrongPasswordOrUnknownUserFailsAfterTheDelayAndIsCounted() {
        try (Authenticator a = withUsers(300)) {
            long t0 = System.nanoTime();
            var wrong = a.authenticate("reader", utf8("b-pw"));
            assertThat(wrong.join()).isEqualTo(Optional.empty());
            assertThat(Duration.ofNanos(System.nanoTime() - t0)).isGreaterThanOrEqualTo(Duration.ofMillis(300));
            assertThat(a.authenticate("nobody", utf8("r-pw")).join()).isEmpty();
            assertThat(a.failures()).isEqualTo(2);
            assertThat(a.remembered("reader", utf8("b-pw"))).isNull();
        }
    }

    @Test
    void aMatchIsRememberedSoTheNextCheckNeedsNoHash() {
        try (Authenticator a = withUsers(10)) {
            assertThat(a.remembered("boss", utf8("b-pw"))).isNull();
            a.authenticate("boss", utf8("b-pw")).join();
            assertThat(a.remembered("boss", utf8("b-pw"))).isEqualTo(new Principal("boss", Access.ADMIN));
            var again = a.authenticate("boss", utf8("b-pw"));
            assertThat(again).isCompleted(); // answered on the caller's thread, no hop
        }
    }

    @Test
    void manyCallsAtOnceWithNewCredentialsCostOneHash() {
        int iterations = 300_000;
        String stored = PasswordHash.create("w-pw".toCharArray(), iterations);
        long t0 = System.nanoTime();
        PasswordHash.parse(stored).matches(utf8("w-pw"));
        Duration oneHash = Duration.ofNanos(System.nanoTime() - t0);
        try (Authenticator a = Authenticator.of(
                new AuthSettings(Map.of("writer", new AuthSettings.User("write", stored)), true, 10, null))) {
            long t1 = System.nanoTime();
            List<CompletableFuture<Optional<Principal>>> calls = new ArrayList<>();
            for (int i = 0; i < 40; i++) {
                calls.add(a.authenticate("writer", utf8("w-pw")));
            }
            for (CompletableFuture<Optional<Principal>> c : calls) {
                assertThat(c.join()).contains(new Principal("writer", Access.WRITE));
            }
            // One hash for all 40 (each hashing would take 40 of them); a wide margin for a busy machine.
            assertThat(Duration.ofNanos(System.nanoTime() - t1)).isLessThan(oneHash.multipliedBy(10));
        }
    }
}
