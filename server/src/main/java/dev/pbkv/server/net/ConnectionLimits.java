package dev.pbkv.server.net;

/**
 * What one client connection may hold of a node, the same for every door (the {@code limits.*}
 * keys of docs/configuration.md). A door past one of them slows its client down or refuses it
 * rather than letting one client take the node's memory or threads.
 *
 * @param maxConnections    connections a door serves at once; the next one is refused with the
 *                          door's error and closed (limits.max-connections)
 * @param outputHighWater   bytes of unwritten replies above which a connection is not read until
 *                          they drain below half of it (limits.output-buffer-high-water)
 * @param outputHardLimit   bytes of unwritten replies above which a connection is closed; 0: no
 *                          limit (limits.output-buffer-hard-limit)
 * @param maxInflight       requests read and not yet answered above which a connection is not
 *                          read until half of them are answered (limits.max-inflight-per-connection)
 * @param idleTimeoutMillis a connection with nothing read, nothing written and nothing in flight
 *                          this long is closed; 0: never (limits.idle-timeout-ms)
 */
public record ConnectionLimits(
        int maxConnections, int outputHighWater, long outputHardLimit, int maxInflight, long idleTimeoutMillis) {

    public static final int DEFAULT_MAX_CONNECTIONS = 10_000;
    public static final int DEFAULT_OUTPUT_HIGH_WATER = 1 << 20;
    public static final long DEFAULT_OUTPUT_HARD_LIMIT = 64L << 20;
    public static final int DEFAULT_MAX_INFLIGHT = 1024;

    /** The defaults of defaults.json, for doors built without settings (tests, benchmarks). */
    public static final ConnectionLimits DEFAULTS = new ConnectionLimits(
            DEFAULT_MAX_CONNECTIONS, DEFAULT_OUTPUT_HIGH_WATER, DEFAULT_OUTPUT_HARD_LIMIT, DEFAULT_MAX_INFLIGHT, 0);

    public ConnectionLimits {
        if (maxConnections < 1) {
            throw new IllegalArgumentException("limits.max-connections must be >= 1, got " + maxConnections);
        }
        if (outputHighWater < 1024) {
            throw new IllegalArgumentException("limits.output-buffer-high-water must be >= 1k, got " + outputHighWater);
        }
        if (outputHardLimit != 0 && outputHardLimit < outputHighWater) {
            throw new IllegalArgumentException("limits.output-buffer-hard-limit must be 0 (off) or at least"
                    + " limits.output-buffer-high-water (" + outputHighWater + "), got " + outputHardLimit);
        }
        if (maxInflight < 1) {
            throw new IllegalArgumentException("limits.max-inflight-per-connection must be >= 1, got " + maxInflight);
        }
        if (idleTimeoutMillis < 0) {
            throw new IllegalArgumentException("limits.idle-timeout-ms must be >= 0, got " + idleTimeoutMillis);
        }
    }

    public ConnectionLimits withMaxConnections(int max) {
        return new ConnectionLimits(max, outputHighWater, outputHardLimit, maxInflight, idleTimeoutMillis);
    }

    public ConnectionLimits withOutput(int highWater, long hardLimit) {
        return new ConnectionLimits(maxConnections, highWater, hardLimit, maxInflight, idleTimeoutMillis);
    }

    public ConnectionLimits withMaxInflight(int max) {
        return new ConnectionLimits(maxConnections, outputHighWater, outputHardLimit, max, idleTimeoutMillis);
    }

    public ConnectionLimits withIdleTimeoutMillis(long millis) {
        return new ConnectionLimits(maxConnections, outputHighWater, outputHardLimit, maxInflight, millis);
    }
}
