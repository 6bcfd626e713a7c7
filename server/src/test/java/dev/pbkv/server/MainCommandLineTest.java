package dev.pbkv.server;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

class MainCommandLineTest {
    private static final String[] SUBCOMMANDS = {
        "probe", "shutdown", "status", "data-dir", "coordinator", "passwd", "certs", "warm-up"
    };

    @Test
    void aNodeRunBuildsNoSubcommands() {
        assertThat(Main.commandLine("-p", "--data-dir", "target/x").getSubcommands())
                .isEmpty();
        assertThat(Main.commandLine("--role", "backup").getSubcommands()).isEmpty();
    }

    @Test
    void subcommandsHelpAndVersionStillHaveThemAll() {
        for (String[] args : new String[][] {{"status"}, {"--help"}, {"-p", "-h"}, {"--version"}, {}}) {
            assertThat(Main.commandLine(args).getSubcommands())
                    .as(String.join(" ", args))
                    .containsKeys(SUBCOMMANDS);
        }
    }

    @Test
    void theHelpListsTheSubcommands() {
        StringWriter out = new StringWriter();
        CommandLine cli = Main.commandLine("--help");
        cli.setOut(new PrintWriter(out, true));

        assertThat(cli.execute("--help")).isZero();
        assertThat(out.toString()).contains("status", "data-dir", "coordinator", "passwd", "certs");
    }

    @Test
    void aTypoOfASubcommandIsRefusedWithTheUsageNotRunAsANode() {
        StringWriter err = new StringWriter();
        CommandLine cli = Main.commandLine("stauts");
        cli.setErr(new PrintWriter(err, true));

        assertThat(cli.execute("stauts")).isEqualTo(2);
        assertThat(err.toString()).contains("stauts");
    }
}
