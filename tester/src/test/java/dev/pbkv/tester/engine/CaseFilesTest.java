package dev.pbkv.tester.engine;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CaseFilesTest {
    @TempDir
    Path dir;

    @Test
    void casesRunInNaturalNumberOrder() throws IOException {
        for (String n :
                List.of("10.test", "2.test", "1.test", "switchover.test", "11-kill.test", "README.md", "0.test")) {
            Files.writeString(dir.resolve(n), "");
        }
        assertThat(CaseFiles.expand(List.of(dir)))
                .extracting(p -> p.getFileName().toString())
                .containsExactly("0.test", "1.test", "2.test", "10.test", "11-kill.test", "switchover.test");
    }

    @Test
    void namedFilesKeepTheirOrder() throws IOException {
        Path a = dir.resolve("4.test");
        Path b = dir.resolve("1.test");
        assertThat(CaseFiles.expand(List.of(a, b))).containsExactly(a, b);
    }
}
