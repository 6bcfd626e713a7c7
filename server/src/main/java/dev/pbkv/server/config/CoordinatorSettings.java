package dev.pbkv.server.config;

import java.nio.file.Path;

/**
 * The {@code coordinator} section: where the ZooKeeper ensemble that decides roles is
 * (docs/coordinator.md).
 *
 * @param connect          ZooKeeper connect string (host:port[,host:port...]), or "off": no coordinator, and then
 *                         no role change happens by itself (default "off"; conf/settings.conf names the embedded one)
 * @param sessionTimeoutMs the ZooKeeper session timeout: how long after a node falls silent its session expires and
 *                         the backup may take over (default 3000, at least 1500)
 * @param cluster          the cluster's name, the first level under /pbkv (default "local")
 * @param pair             this pair's name under /pbkv/&lt;cluster&gt;/pairs (default "pair-1")
 * @param dataDir          where bin/start_coordinator keeps the embedded ZooKeeper's data (default data/coordinator)
 */
public record CoordinatorSettings(String connect, long sessionTimeoutMs, String cluster, String pair, Path dataDir) {

    /** The smallest session timeout allowed: below it a busy machine's pauses expire healthy sessions. */
    public static final long MIN_SESSION_TIMEOUT_MS = 1500;

    /** No coordinator is configured. */
    public boolean off() {
        return connect.equalsIgnoreCase("off");
    }

    /** The pair's root znode. */
    public String pairPath() {
        return "/pbkv/" + cluster + "/pairs/" + pair;
    }
}
