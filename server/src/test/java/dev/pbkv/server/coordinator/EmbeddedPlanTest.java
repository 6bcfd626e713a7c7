package dev.pbkv.server.coordinator;

import static org.assertj.core.api.Assertions.assertThat;

import dev.pbkv.server.config.CoordinatorSettings;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

class EmbeddedPlanTest {
    private static final Path DIR = Path.of("/var/lib/pbkv/coordinator");

    private static EmbeddedPlan plan(String connect) {
        return EmbeddedPlan.of(new CoordinatorSettings(connect, 3000, "local", "pair-1", DIR));
    }

    @Test
    void offNamesNoCoordinator() {
        assertThat(plan("off")).isInstanceOf(EmbeddedPlan.Off.class);
        assertThat(plan("OFF")).isInstanceOf(EmbeddedPlan.Off.class);
    }

    @Test
    void oneLoopbackAddressIsTheEmbeddedCoordinator() {
        assertThat(plan("127.0.0.1:2181")).isEqualTo(new EmbeddedPlan.Embedded("127.0.0.1", 2181, DIR));
        assertThat(plan("localhost:2191")).isEqualTo(new EmbeddedPlan.Embedded("127.0.0.1", 2191, DIR));
        // A chroot is the clients' business: the server is the same.
        assertThat(plan("127.0.0.1:2181/pbkv")).isEqualTo(new EmbeddedPlan.Embedded("127.0.0.1", 2181, DIR));
    }

    @Test
    void severalServersOrAnotherHostAreAnEnsembleRunElsewhere() {
        assertThat(plan("127.0.0.1:2181,127.0.0.1:2182,127.0.0.1:2183"))
                .isEqualTo(new EmbeddedPlan.Ensemble("127.0.0.1:2181,127.0.0.1:2182,127.0.0.1:2183"));
        assertThat(plan("zk-1.internal:2181")).isInstanceOf(EmbeddedPlan.Ensemble.class);
        // Not a loopback literal, whatever it resolves to: no DNS decides what this machine runs.
        assertThat(plan("localhost.example:2181")).isInstanceOf(EmbeddedPlan.Ensemble.class);
        assertThat(plan("1270.0.0.1:2181")).isInstanceOf(EmbeddedPlan.Ensemble.class);
    }
}
