package dev.pbkv.server.auth;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ClusterSecretTest {
    @TempDir
    Path dir;

    private ClusterSecret secret(String text) throws IOException {
        Path file = dir.resolve("secret-" + text.hashCode());
        Files.writeString(file, text);
        return ClusterSecret.load(file);
    }

    @Test
    void aProofFromTheSameSecretIsAcceptedOnceOnly() throws IOException {
        ClusterSecret sender = secret("0123456789abcdef-shared\n");
        ClusterSecret receiver = secret("  0123456789abcdef-shared  \nsecond line is ignored\n");
        String proof = sender.prove("primary");
        assertThat(receiver.check(proof, System.currentTimeMillis())).isNull();
        assertThat(receiver.check(proof, System.currentTimeMillis())).contains("seen before");
        assertThat(receiver.check(sender.prove("primary"), System.currentTimeMillis()))
                .isNull();
    }

    @Test
    void anotherSecretAMissingOrMalformedProofAndAFarClockAreRefused() throws IOException {
        ClusterSecret ours = secret("0123456789abcdef-ours");
        ClusterSecret theirs = secret("0123456789abcdef-theirs");
        long now = System.currentTimeMillis();
        assertThat(ours.check(theirs.prove("backup"), now)).contains("another secret");
        assertThat(ours.check(null, now)).contains("no pbkv-peer-proof");
        assertThat(ours.check("garbage", now)).contains("malformed");
        assertThat(ours.check("a b c d", now)).contains("malformed");
        String proof = ours.prove("backup");
        assertThat(ours.check(proof, now + ClusterSecret.WINDOW.toMillis() + 60_000))
                .contains("away from this node's clock");
        // A proof altered in its node name no longer matches its tag.
        assertThat(ours.check("primary" + proof.substring(proof.indexOf(' ')), now))
                .contains("another secret");
    }

    @Test
    void aShortOrMissingSecretFileIsRefusedWithoutShowingTheSecret() throws IOException {
        Path shortFile = dir.resolve("short");
        Files.writeString(shortFile, "tooshort\n");
        assertThatThrownBy(() -> ClusterSecret.load(shortFile))
                .hasMessageContaining("auth.cluster-secret-file")
                .hasMessageContaining("8 bytes, at least 16")
                .hasMessageNotContaining("tooshort");
        assertThatThrownBy(() -> ClusterSecret.load(dir.resolve("absent"))).hasMessageContaining("cannot be read");
        assertThat(secret("0123456789abcdef-ours").toString()).doesNotContain("0123");
    }
}
