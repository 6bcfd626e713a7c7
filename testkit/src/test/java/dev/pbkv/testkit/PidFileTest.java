package dev.pbkv.testkit;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PidFileTest {
    @TempDir
    Path dir;

    @Test
    void aWrittenPidReadsBackAndDeleteRemovesIt() {
        PidFile.write(dir, 4242);
        assertThat(PidFile.read(dir)).contains(4242L);
        PidFile.delete(dir);
        assertThat(PidFile.in(dir)).doesNotExist();
        assertThat(PidFile.read(dir)).isEmpty();
    }

    @Test
    void aPidThatIsNotAPbkvNodeIsNeverSignalled() throws Exception {
        // This JVM is alive but is not a node: stop must leave it alone and only drop the file.
        PidFile.write(dir, ProcessHandle.current().pid());
        assertThat(PidFile.process(dir)).isEmpty();
        assertThat(PidFile.stop(dir, Duration.ofSeconds(1))).isEqualTo("not running");
        assertThat(Files.exists(PidFile.in(dir))).isFalse();
    }

    @Test
    void portsOfOneCallAreDistinct() {
        int[] ports = FreePorts.take(6);
        assertThat(Arrays.stream(ports).distinct().count()).isEqualTo(6);
        assertThat(Arrays.stream(ports).min().getAsInt()).isPositive();
    }
}
