package dev.pbkv.server.cli;

import dev.pbkv.server.config.Settings;
import dev.pbkv.server.config.SettingsOptions;
import dev.pbkv.server.coordinator.EmbeddedPlan;
import dev.pbkv.server.role.Role;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * Prints the absolute data directory a node started with the same flags would use, and with
 * --coordinator the embedded coordinator its settings name: everything bin/start_server and
 * bin/stop_server need to know before a node runs, from one short-lived JVM.
 */
@Command(
        name = "data-dir",
        mixinStandardHelpOptions = true,
        description = {"Prints the data directory of the node the flags choose (after settings and overrides)."})
public final class DataDirCommand implements Callable<Integer> {
    @Mixin
    SettingsOptions options;

    @Option(
            names = "--coordinator",
            description = {
                "Also print a second line: 'embedded HOST PORT DIR' when coordinator.connect names one",
                "loopback address (a coordinator bin/start_server may start), else 'off' or 'external'."
            })
    boolean coordinator;

    @Option(
            names = "--other-role",
            description = {
                "Also print the same lines for the other role (the same flags with -p and -b swapped), or '-'",
                "for each when they do not load: bin/start_server asks once for both roles of a settings file."
            })
    boolean otherRole;

    @Override
    public Integer call() {
        Settings settings = options.load();
        print(settings);
        if (otherRole) {
            Role other = options.role() == Role.PRIMARY ? Role.BACKUP : Role.PRIMARY;
            Settings otherSettings;
            try {
                otherSettings = options.load(other);
            } catch (RuntimeException e) {
                otherSettings = null; // the other role's settings are not this start's business
            }
            if (otherSettings != null) {
                print(otherSettings);
            } else {
                System.out.println("-");
                if (coordinator) {
                    System.out.println("-");
                }
            }
        }
        return 0;
    }

    private void print(Settings settings) {
        System.out.println(settings.self().dataDir());
        if (coordinator) {
            EmbeddedPlan plan = EmbeddedPlan.of(settings.coordinator());
            if (plan instanceof EmbeddedPlan.Embedded e) {
                System.out.println("embedded " + e.host() + " " + e.port() + " "
                        + e.dataDir().toAbsolutePath());
            } else {
                System.out.println(plan instanceof EmbeddedPlan.Off ? "off" : "external");
            }
        }
    }
}
