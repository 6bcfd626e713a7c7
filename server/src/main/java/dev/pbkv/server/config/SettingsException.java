package dev.pbkv.server.config;

import java.util.List;

/** The settings are unusable; the message names every offending key. */
public final class SettingsException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public SettingsException(List<String> problems) {
        super(String.join("; ", problems));
    }

    public SettingsException(String problem) {
        super(problem);
    }
}
