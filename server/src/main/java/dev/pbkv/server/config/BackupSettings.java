package dev.pbkv.server.config;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Path;

/**
 * The {@code backup} section (docs/persistence.md, "Backups"). Read from the merged settings tree
 * and checked once at start; a bad value is a {@link SettingsException} naming the key.
 *
 * @param dir           where Admin.Backup, BGSAVE and SAVE write; empty: {@code <data-dir>/backups}
 * @param maxConcurrent backups that may run at once (1..64, default 1)
 * @param waitWhenBusy  past maxConcurrent a request waits for a slot (true) or is refused with
 *                      RESOURCE_EXHAUSTED (false, the default)
 */
public record BackupSettings(String dir, int maxConcurrent, boolean waitWhenBusy) {
    public static final BackupSettings DEFAULTS = new BackupSettings("", 1, false);

    /** The section of settings, defaults for what it leaves out. */
    public static BackupSettings of(Settings settings) {
        JsonNode section =
                settings.effective() == null ? null : settings.effective().get("backup");
        if (section == null || !section.isObject()) {
            return DEFAULTS;
        }
        JsonNode dir = section.get("dir");
        if (dir != null && !dir.isTextual()) {
            throw new SettingsException("backup.dir must be a path (a string), was " + dir);
        }
        JsonNode max = section.get("max-concurrent");
        int maxConcurrent = DEFAULTS.maxConcurrent;
        if (max != null) {
            String text = max.asText().trim();
            if (!(max.isIntegralNumber() || (max.isTextual() && text.matches("\\d{1,9}")))) {
                throw new SettingsException("backup.max-concurrent must be an integer, was " + max);
            }
            maxConcurrent = Integer.parseInt(text);
            if (maxConcurrent < 1 || maxConcurrent > 64) {
                throw new SettingsException("backup.max-concurrent must be between 1 and 64, was " + maxConcurrent);
            }
        }
        JsonNode wait = section.get("wait-when-busy");
        boolean waitWhenBusy = DEFAULTS.waitWhenBusy;
        if (wait != null) {
            String text = wait.asText().trim();
            if (!wait.isBoolean() && !text.equals("true") && !text.equals("false")) {
                throw new SettingsException("backup.wait-when-busy must be true or false, was " + wait);
            }
            waitWhenBusy = Boolean.parseBoolean(text);
        }
        return new BackupSettings(dir == null ? "" : dir.asText(), maxConcurrent, waitWhenBusy);
    }

    /** The directory backups go to: {@code dir}, relative to the working directory, or {@code <data-dir>/backups}. */
    public Path directory(Path dataDir) {
        return dir.isBlank() ? dataDir.resolve("backups") : Path.of(dir);
    }
}
