package dev.pbkv.server.cli;

import dev.pbkv.server.config.SettingsOptions;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

/** Prints the absolute data directory a node started with the same flags would use. Used by the scripts. */
@Command(
        name = "data-dir",
        mixinStandardHelpOptions = true,
        description = {"Prints the data directory of the node the flags choose (after settings and overrides)."})
public final class DataDirCommand implements Callable<Integer> {
    @Mixin
    SettingsOptions options;

    @Override
    public Integer call() {
        System.out.println(options.load().self().dataDir());
        return 0;
    }
}
