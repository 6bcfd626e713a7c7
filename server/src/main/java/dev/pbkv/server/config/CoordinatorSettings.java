package dev.pbkv.server.config;

import java.nio.file.Path;

/**
 * The {@code coordinator} section: where the ZooKeeper ensemble that decides roles is
 * (docs/coordinator.md).
 *
 * @param connect          ZooKeeper connect string (host:port[,host:port...]), or "off": no coordinator, and then
 *                         no role change happens by itself (default "off"; conf/settings.conf names the embedded one)
 * @param sessionTimeoutMs the ZooKeeper session timeout: how long after a node falls silent its session expires and
 *                         the backup may take over (default 3000, at least 1000)
 * @param cluster          the cluster's name, the first level under /pbkv (default "local")
 * @param pair             this pair's name under /pbkv/&lt;cluster&gt;/pairs (default "pair-1")
 * @param dataDir          where bin/start_coordinator keeps the embedded ZooKeeper's data (default data/coordinator)
 */
public record CoordinatorSettings(String connect, long sessionTimeoutMs, String cluster, String pair, Path dataDir) {

    /**
     * The smallest session timeout allowed, the embedded coordinator's minimum (five of its 200 ms
     * ticks). Safety does not rest on it (a primary's lease is two thirds of the negotiated timeout,
     * and ZooKeeper never expires a session early); below it a busy machine's pauses would expire
     * healthy sessions too often (docs/coordinator.md, "Timing").
     */
    public static final long MIN_SESSION_TIMEOUT_MS = 1000;

    /** No coordinator is configured. */
    public boolean off() {
        return connect.equalsIgnoreCase("off");
    }

    /** The pair's root znode. */
    public String pairPath() {
        return "/pbkv/" + cluster + "/pairs/" + pair;
    }
}
