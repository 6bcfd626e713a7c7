package dev.pbkv.server.coordinator;

import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.CuratorFrameworkFactory;
import org.apache.curator.framework.state.ConnectionState;
import org.apache.curator.retry.RetryOneTime;
import org.apache.zookeeper.CreateMode;
import org.apache.zookeeper.KeeperException;
import org.apache.zookeeper.data.Stat;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@link PairCoordinator} on ZooKeeper through Curator. Uses ZooKeeper's own primitives only:
 * versioned setData (compare-and-set), multi (state and leader change together), ephemeral znodes
 * and the client's connection states; no leader recipe, so the state znode stays the one source
 * of truth. Every request is tried once (a retry could apply a compare-and-set twice): a failure
 * is reported as {@link CasResult#UNREACHABLE} and the caller reads again.
 *
 * <p>Znodes under {@code /pbkv/<cluster>/pairs/<pair>/}: {@code state} (JSON {@link PairRecord}),
 * {@code leader} (ephemeral, the primary's node id) and {@code members/<node>} (ephemeral).
 *
 * <p>Threads: the blocking calls run on the caller's thread (the node's coordinator thread);
 * connection changes arrive on Curator's event thread.
 */
public final class ZooKeeperCoordinator implements PairCoordinator {
    private static final Logger log = LoggerFactory.getLogger(ZooKeeperCoordinator.class);

    private final String connect;
    private final String nodeId;
    private final long sessionTimeoutMs;
    private final String statePath;
    private final String leaderPath;
    private final String membersPath;
    private final CuratorFramework client;
    private volatile Connection connection = Connection.CONNECTING;
    private volatile long lastConfirmedNanos;

    /**
     * @param connect          ZooKeeper connect string
     * @param pairPath         the pair's root, /pbkv/&lt;cluster&gt;/pairs/&lt;pair&gt;
     * @param nodeId           this node's id ("primary" or "backup")
     * @param sessionTimeoutMs the session timeout asked for
     */
    public ZooKeeperCoordinator(String connect, String pairPath, String nodeId, long sessionTimeoutMs) {
        this.connect = connect;
        this.nodeId = nodeId;
        this.sessionTimeoutMs = sessionTimeoutMs;
        this.statePath = pairPath + "/state";
        this.leaderPath = pairPath + "/leader";
        this.membersPath = pairPath + "/members";
        this.client = CuratorFrameworkFactory.builder()
                .connectString(connect)
                .sessionTimeoutMs((int) sessionTimeoutMs)
                // A request waits at most this long for a connection: the caller then reads again.
                .connectionTimeoutMs((int) Math.max(500, sessionTimeoutMs / 3))
                .retryPolicy(new RetryOneTime(50))
                .build();
    }

    /**
     * Initializes the ZooKeeper client's TLS helper on a daemon thread, so that it is ready when the
     * node connects. Its static initializer builds the JDK's default SSLContext (reading the JDK's
     * trust store) even for a plain connection: about 0.14 s that was on the start's critical path
     * (docs/performance.md, "Start and stop"), and now overlaps the store's opening and the doors.
     * Also parses a state record once, for the same reason.
     */
    public static void initializeClientInBackground() {
        Thread t = new Thread(
                () -> {
                    try {
                        Class.forName(
                                "org.apache.zookeeper.common.X509Util",
                                true,
                                ZooKeeperCoordinator.class.getClassLoader());
                    } catch (ClassNotFoundException | LinkageError e) {
                        // the connection initializes it itself, and reports what is wrong
                    }
                    // Jackson builds its (de)serializers of the state znode on first use: 0.03 s
                    // of the first read of state otherwise.
                    PairRecord.fromJson(PairRecord.primaryAlone(1, "warm-up").toJson());
                },
                "pbkv-coordinator-init");
        t.setDaemon(true);
        t.start();
    }

    @Override
    public boolean enabled() {
        return true;
    }

    @Override
    public void start(Consumer<Connection> listener) {
        client.getConnectionStateListenable().addListener((c, s) -> {
            Connection next = switch (s) {
                case CONNECTED, RECONNECTED -> Connection.CONNECTED;
                case SUSPENDED, READ_ONLY -> Connection.SUSPENDED;
                case LOST -> Connection.LOST;
            };
            if (s == ConnectionState.CONNECTED || s == ConnectionState.RECONNECTED) {
                lastConfirmedNanos = System.nanoTime();
            }
            connection = next;
            log.info("{}: coordinator {} connection {}", nodeId, connect, s);
            listener.accept(next);
        });
        client.start();
    }

    @Override
    public Connection connection() {
        return connection;
    }

    @Override
    public long sessionTimeoutMs() {
        try {
            int negotiated = client.getZookeeperClient().getZooKeeper().getSessionTimeout();
            return negotiated > 0 ? negotiated : sessionTimeoutMs;
        } catch (Exception e) {
            return sessionTimeoutMs;
        }
    }

    @Override
    public long lastConfirmedNanos() {
        return lastConfirmedNanos;
    }

    @Override
    public PairView read() throws CoordinatorUnavailableException {
        long sent = System.nanoTime();
        try {
            Stat stat = new Stat();
            PairRecord record = null;
            int version = -1;
            try {
                byte[] data = client.getData().storingStatIn(stat).forPath(statePath);
                record = PairRecord.fromJson(data);
                version = stat.getVersion();
            } catch (KeeperException.NoNodeException e) {
                // no state yet: the pair was never started with this coordinator
            }
            String leader = null;
            boolean ours = false;
            try {
                Stat leaderStat = new Stat();
                byte[] data = client.getData().storingStatIn(leaderStat).forPath(leaderPath);
                leader = new String(data, StandardCharsets.UTF_8);
                ours = leaderStat.getEphemeralOwner() == sessionId();
            } catch (KeeperException.NoNodeException e) {
                // no leader: the primary's session ended
            }
            confirmed(sent);
            return new PairView(record, version, leader, ours);
        } catch (IllegalArgumentException e) {
            throw new CoordinatorUnavailableException(statePath + ": " + e.getMessage(), e);
        } catch (Exception e) {
            throw new CoordinatorUnavailableException("cannot read " + statePath + " from " + connect + ": " + e, e);
        }
    }

    @Override
    public CasResult create(PairRecord first) {
        return compareAndSet(
                "create " + statePath,
                () -> {
                    ensureParents();
                    client.transaction()
                            .forOperations(
                                    client.transactionOp().create().forPath(statePath, first.toJson()), leaderOp());
                },
                KeeperException.NodeExistsException.class);
    }

    @Override
    public CasResult takeLeadership(int version, PairRecord next) {
        return compareAndSet(
                "take the leadership at " + statePath + " v" + version,
                () -> client.transaction().forOperations(setStateOp(version, next), leaderOp()),
                KeeperException.BadVersionException.class,
                KeeperException.NodeExistsException.class);
    }

    @Override
    public CasResult update(int version, PairRecord next) {
        return compareAndSet(
                "update " + statePath + " v" + version,
                () -> client.setData().withVersion(version).forPath(statePath, next.toJson()),
                KeeperException.BadVersionException.class);
    }

    @Override
    public CasResult handOver(int version, PairRecord next) {
        return compareAndSet(
                "hand over at " + statePath + " v" + version,
                () -> client.transaction()
                        .forOperations(
                                setStateOp(version, next),
                                client.transactionOp().delete().forPath(leaderPath)),
                KeeperException.BadVersionException.class,
                KeeperException.NoNodeException.class);
    }

    /** A request to ZooKeeper that either applies or throws. */
    @FunctionalInterface
    private interface Request {
        void run() throws Exception;
    }

    /**
     * Runs a compare-and-set once: APPLIED, CONFLICT when ZooKeeper refused it with one of the
     * conflict exceptions (it answered, so the session is confirmed either way), else UNREACHABLE.
     */
    @SafeVarargs
    private CasResult compareAndSet(String what, Request request, Class<? extends KeeperException>... conflicts) {
        long sent = System.nanoTime();
        try {
            request.run();
            confirmed(sent);
            return CasResult.APPLIED;
        } catch (Exception e) {
            for (Class<? extends KeeperException> conflict : conflicts) {
                if (conflict.isInstance(e)) {
                    confirmed(sent);
                    return CasResult.CONFLICT;
                }
            }
            return failed(what, e);
        }
    }

    private org.apache.curator.framework.api.transaction.CuratorOp setStateOp(int version, PairRecord next)
            throws Exception {
        return client.transactionOp().setData().withVersion(version).forPath(statePath, next.toJson());
    }

    @Override
    public void publishMember(byte[] info) {
        String path = membersPath + "/" + nodeId;
        try {
            try {
                client.setData().forPath(path, info);
                Stat s = client.checkExists().forPath(path);
                if (s != null && s.getEphemeralOwner() == sessionId()) {
                    return;
                }
                client.delete().forPath(path); // left by an earlier session of this node
            } catch (KeeperException.NoNodeException e) {
                // first publication in this session
            }
            client.create()
                    .creatingParentContainersIfNeeded()
                    .withMode(CreateMode.EPHEMERAL)
                    .forPath(path, info);
        } catch (Exception e) {
            log.debug("{}: could not publish {}: {}", nodeId, path, e.toString());
        }
    }

    @Override
    public java.util.Map<String, String> liveMembers() throws CoordinatorUnavailableException {
        long sent = System.nanoTime();
        try {
            java.util.Map<String, String> live = new java.util.HashMap<>();
            for (String child : client.getChildren().forPath(membersPath)) {
                try {
                    live.put(
                            child,
                            new String(client.getData().forPath(membersPath + "/" + child), StandardCharsets.UTF_8));
                } catch (KeeperException.NoNodeException e) {
                    // its session ended between the two reads
                }
            }
            confirmed(sent);
            return live;
        } catch (KeeperException.NoNodeException e) {
            confirmed(sent);
            return java.util.Map.of();
        } catch (Exception e) {
            throw new CoordinatorUnavailableException("cannot read " + membersPath + " on " + connect + ": " + e, e);
        }
    }

    @Override
    public String describe() {
        return connect + statePath.substring(0, statePath.length() - "/state".length());
    }

    @Override
    public void close() {
        connection = Connection.CLOSED;
        client.close();
    }

    private org.apache.curator.framework.api.transaction.CuratorOp leaderOp() throws Exception {
        return client.transactionOp()
                .create()
                .withMode(CreateMode.EPHEMERAL)
                .forPath(leaderPath, nodeId.getBytes(StandardCharsets.UTF_8));
    }

    private void ensureParents() throws Exception {
        try {
            client.create().creatingParentsIfNeeded().forPath(membersPath);
        } catch (KeeperException.NodeExistsException e) {
            // made by the other node or an earlier run
        }
    }

    private long sessionId() throws Exception {
        return client.getZookeeperClient().getZooKeeper().getSessionId();
    }

    private void confirmed(long sentNanos) {
        if (sentNanos - lastConfirmedNanos > 0) {
            lastConfirmedNanos = sentNanos;
        }
    }

    private CasResult failed(String what, Exception e) {
        log.warn("{}: could not {} on {}: {}", nodeId, what, connect, e.toString());
        return CasResult.UNREACHABLE;
    }

    /** Test seam: blocks until connected or the timeout passes. */
    boolean awaitConnected(long timeoutMs) throws InterruptedException {
        return client.blockUntilConnected((int) timeoutMs, TimeUnit.MILLISECONDS);
    }
}
