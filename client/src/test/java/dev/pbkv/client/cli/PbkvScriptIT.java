package dev.pbkv.client.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.pbkv.client.FakeNode;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Runs the real {@code bin/pbkv} script (and so the shaded {@code pbkv-cli.jar}, its service
 * files included) as a process from an unrelated directory, against a fake node.
 */
class PbkvScriptIT {

    private static final Path REPO = Path.of("").toAbsolutePath().getParent();

    @TempDir
    Path elsewhere;

    private FakeNode node;

    record Result(int code, String out, String err) {}

    @BeforeEach
    void start() throws IOException {
        node = new FakeNode("primary", true);
    }

    @AfterEach
    void stop() {
        node.close();
    }

    private Result pbkv(String... args) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>();
        command.add(REPO.resolve("bin/pbkv").toString());
        command.addAll(List.of(args));
        Path out = elsewhere.resolve("out.txt");
        Path err = elsewhere.resolve("err.txt");
        Process p = new ProcessBuilder(command)
                .directory(elsewhere.toFile())
                .redirectOutput(out.toFile())
                .redirectError(err.toFile())
                .start();
        try {
            assertThat(p.waitFor(60, TimeUnit.SECONDS)).as("bin/pbkv finished").isTrue();
        } finally {
            p.destroyForcibly();
        }
        return new Result(
                p.exitValue(),
                Files.readString(out, StandardCharsets.UTF_8),
                Files.readString(err, StandardCharsets.UTF_8));
    }

    @Test
    void theScriptWorksFromAnyDirectory() throws Exception {
        String server = "--server=" + node.address();
        assertThat(pbkv(server, "put", "greeting", "hello there")).isEqualTo(new Result(0, "OK\n", ""));
        assertThat(pbkv(server, "get", "greeting")).isEqualTo(new Result(0, "hello there\n", ""));
        assertThat(pbkv(server, "get", "absent")).isEqualTo(new Result(1, "", "pbkv: key 'absent' not found\n"));
        Result help = pbkv("--help");
        assertThat(help.code()).isZero();
        assertThat(help.out()).contains("Exit codes:");
    }
}
