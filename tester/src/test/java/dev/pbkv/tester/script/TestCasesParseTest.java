package dev.pbkv.tester.script;

import static org.assertj.core.api.Assertions.assertThat;

import dev.pbkv.tester.engine.CaseFiles;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Every shipped case parses, so a typo in test-cases/ fails the build before any node starts. */
class TestCasesParseTest {

    @Test
    void everyShippedCaseParses() throws IOException, ParseException {
        Path dir = Path.of("").toAbsolutePath().getParent().resolve("test-cases");
        List<Path> files = CaseFiles.expand(List.of(dir));
        assertThat(files)
                .extracting(p -> p.getFileName().toString())
                .startsWith(
                        "0.test", "1.test", "2.test", "3.test", "4.test", "5.test", "6.test", "7.test", "8.test",
                        "9.test");
        for (Path f : files) {
            Script s = Parser.parse(f.getFileName().toString(), Files.readString(f, StandardCharsets.UTF_8));
            assertThat(s.statements()).as(f.toString()).isNotEmpty();
            assertThat(s.statements().get(0))
                    .as(f + " starts from a clean state")
                    .isInstanceOf(Statement.Reset.class);
        }
    }
}
