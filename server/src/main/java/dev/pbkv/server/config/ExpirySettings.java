package dev.pbkv.server.config;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * The {@code expiry} section: the primary's active expirer (docs/expiry.md). Read from the
 * merged settings tree and checked once at start; a bad value is a {@link SettingsException}
 * naming the key.
 *
 * @param activeIntervalMs how often a round of active expiry starts on the primary, in ms; 0
 *                         turns active expiry off (keys then go only when read) (default 100)
 * @param sampleSize       keys with a deadline drawn at random per pass (default 20)
 * @param roundBudgetMs    a round repeats its pass while more than a quarter of the sample had
 *                         expired, for at most this long (default 25)
 */
public record ExpirySettings(long activeIntervalMs, int sampleSize, long roundBudgetMs) {
    public static final ExpirySettings DEFAULTS = new ExpirySettings(100, 20, 25);

    /** The section of settings, defaults for what it leaves out. */
    public static ExpirySettings of(Settings settings) {
        JsonNode section =
                settings.effective() == null ? null : settings.effective().get("expiry");
        if (section == null || !section.isObject()) {
            return DEFAULTS;
        }
        return new ExpirySettings(
                integer(section, "active-interval-ms", DEFAULTS.activeIntervalMs, 0, 3_600_000),
                (int) integer(section, "sample-size", DEFAULTS.sampleSize, 1, 10_000),
                integer(section, "round-budget-ms", DEFAULTS.roundBudgetMs, 1, 60_000));
    }

    private static long integer(JsonNode section, String key, long fallback, long min, long max) {
        JsonNode n = section.get(key);
        if (n == null) {
            return fallback;
        }
        long v;
        if (n.isIntegralNumber() && n.canConvertToLong()) {
            v = n.asLong();
        } else if (n.isTextual() && n.asText().trim().matches("-?\\d{1,18}")) {
            v = Long.parseLong(n.asText().trim());
        } else {
            throw new SettingsException("expiry." + key + " must be an integer, was " + n);
        }
        if (v < min || v > max) {
            throw new SettingsException("expiry." + key + " must be between " + min + " and " + max + ", was " + v);
        }
        return v;
    }
}
