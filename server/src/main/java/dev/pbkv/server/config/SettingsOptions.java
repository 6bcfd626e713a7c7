package dev.pbkv.server.config;

import dev.pbkv.server.role.Role;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Option;

/**
 * The command-line flags that choose a node and override conf/settings.conf (a picocli mixin,
 * shared by the node and by the helper commands that must find the same data directory).
 */
public final class SettingsOptions {
    /** Used when --config is not given; a missing default file means the built-in defaults. */
    public static final Path DEFAULT_CONFIG = Path.of("conf", "settings.conf");

    static final class RoleChoice {
        @Option(
                names = {"-p", "--primary"},
                description = "Run as the primary (nodes.primary).")
        boolean primary;

        @Option(
                names = {"-b", "--backup"},
                description = "Run as the backup (nodes.backup).")
        boolean backup;

        @Option(names = "--role", paramLabel = "primary|backup", description = "The role, spelled out.")
        String role;
    }

    @ArgGroup(exclusive = true, multiplicity = "0..1")
    RoleChoice roleChoice;

    @Option(
            names = "--config",
            paramLabel = "FILE",
            description = "Settings file (JSON). Default: conf/settings.conf if present, else built-in defaults.")
    Path config;

    @Option(names = "--data-dir", paramLabel = "DIR", description = "Overrides nodes.<role>.data-dir.")
    String dataDir;

    @Option(
            names = "--grpc-port",
            paramLabel = "PORT",
            description = "Overrides nodes.<role>.grpc-port (0: a free port).")
    Integer grpcPort;

    @Option(
            names = "--resp-port",
            paramLabel = "PORT",
            description = "Overrides nodes.<role>.resp-port (0: a free port).")
    Integer respPort;

    @Option(
            names = "--http-port",
            paramLabel = "PORT",
            description = "Overrides nodes.<role>.http-port (0: a free port).")
    Integer httpPort;

    @Option(
            names = "--peer",
            paramLabel = "HOST:PORT",
            description = "The peer's gRPC address. Default: the other node's host and grpc-port.")
    String peer;

    @Option(names = "--memory", paramLabel = "SIZE", description = "Overrides store.memory, e.g. 256m.")
    String memory;

    @Option(names = "--fsync", paramLabel = "always|everysec|no", description = "Overrides store.fsync.")
    String fsync;

    @Option(
            names = "--set",
            paramLabel = "KEY=VALUE",
            description =
                    "Overrides any setting by its dotted key, e.g. --set replication.require-backup=true. Repeatable.")
    Map<String, String> sets = new LinkedHashMap<>();

    @Option(
            names = "--restore",
            paramLabel = "FILE",
            description = "Seeds this node's empty store from a backup file before it starts (docs/persistence.md,"
                    + " \"Restore\"); refused when the store is not empty or the file is damaged.")
    Path restore;

    /** The backup file --restore names, or null. */
    public Path restore() {
        return restore;
    }

    /** The role chosen on the command line, or null. */
    public Role role() {
        if (roleChoice == null) {
            return null;
        }
        if (roleChoice.primary) {
            return Role.PRIMARY;
        }
        if (roleChoice.backup) {
            return Role.BACKUP;
        }
        return switch (roleChoice.role.toLowerCase(Locale.ROOT)) {
            case "primary", "p" -> Role.PRIMARY;
            case "backup", "b" -> Role.BACKUP;
            default -> throw new SettingsException("--role must be primary or backup, was '" + roleChoice.role + "'");
        };
    }

    /** File, then --set, then the specific flags (they win). */
    public Settings load() {
        Role role = role();
        if (role == null) {
            throw new SettingsException("choose a role: -p (primary) or -b (backup)");
        }
        return load(role);
    }

    /** As {@link #load()}, for role instead of the one chosen: the same flags given with the other role flag. */
    public Settings load(Role role) {
        SettingsLoader loader = loader(config, sets);
        String self = "nodes." + (role == Role.PRIMARY ? "primary" : "backup") + ".";
        if (dataDir != null) {
            loader.set(self + "data-dir", dataDir);
        }
        if (grpcPort != null) {
            loader.set(self + "grpc-port", grpcPort.toString());
        }
        if (respPort != null) {
            loader.set(self + "resp-port", respPort.toString());
        }
        if (httpPort != null) {
            loader.set(self + "http-port", httpPort.toString());
        }
        if (memory != null) {
            loader.set("store.memory", memory);
        }
        if (fsync != null) {
            loader.set("store.fsync", fsync);
        }
        if (peer != null) {
            loader.peer(peer);
        }
        return loader.build(role);
    }

    /**
     * The defaults, then the settings file (config, else conf/settings.conf if present), then the
     * {@code --set} overrides: what every command that reads the settings starts from.
     */
    public static SettingsLoader loader(Path config, Map<String, String> sets) {
        SettingsLoader loader = SettingsLoader.withDefaults();
        if (config != null) {
            if (!Files.isRegularFile(config)) {
                throw new SettingsException("--config " + config + ": no such file");
            }
            loader.file(config);
        } else if (Files.isRegularFile(DEFAULT_CONFIG)) {
            loader.file(DEFAULT_CONFIG);
        }
        sets.forEach(loader::set);
        return loader;
    }
}
