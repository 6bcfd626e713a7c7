package dev.pbkv.server.coordinator;

import java.util.function.Consumer;

/**
 * The node's view of the coordinator that decides roles (docs/coordinator.md): reads of the pair's
 * znodes and the compare-and-sets that change them. Every call but {@link #connection()} and
 * {@link #lastConfirmedNanos()} blocks on the network: call them from the node's coordinator
 * thread, never from an event loop or the control thread.
 */
public interface PairCoordinator extends AutoCloseable {

    /** False for {@link #OFF}: no coordinator, and the pair makes no role change by itself. */
    boolean enabled();

    /** Connects in the background; listener hears every connection change (on the client's thread). */
    void start(Consumer<Connection> listener);

    Connection connection();

    /** The negotiated session timeout in ms (the configured one until connected). */
    long sessionTimeoutMs();

    /** System.nanoTime() at which the last request that then succeeded was sent: the session lives at least a timeout past it. */
    long lastConfirmedNanos();

    /** Reads state and leader; throws CoordinatorUnavailableException when it cannot. */
    PairView read() throws CoordinatorUnavailableException;

    /** Creates the state znode with first (none must exist) and, in the same transaction, the leader znode naming this node. */
    CasResult create(PairRecord first);

    /** Sets state to next if its version is still version, and creates the leader znode naming this node, in one transaction. */
    CasResult takeLeadership(int version, PairRecord next);

    /** Sets state to next if its version is still version. */
    CasResult update(int version, PairRecord next);

    /** Sets state to next if its version is still version and deletes this node's leader znode, in one transaction (switchover). */
    CasResult handOver(int version, PairRecord next);

    /** Writes this node's members/&lt;node&gt; znode (ephemeral: it lives as long as this node's session). */
    void publishMember(byte[] info);

    /**
     * The members/&lt;node&gt; znodes that exist (those of nodes with a live session that published
     * one): node id to the znode's data, as UTF-8 text.
     */
    java.util.Map<String, String> liveMembers() throws CoordinatorUnavailableException;

    /** Where the coordinator is, for status and logs. */
    String describe();

    @Override
    void close();

    /** No coordinator configured. */
    PairCoordinator OFF = new PairCoordinator() {
        @Override
        public boolean enabled() {
            return false;
        }

        @Override
        public void start(Consumer<Connection> listener) {}

        @Override
        public Connection connection() {
            return Connection.OFF;
        }

        @Override
        public long sessionTimeoutMs() {
            return 0;
        }

        @Override
        public long lastConfirmedNanos() {
            return 0;
        }

        @Override
        public PairView read() throws CoordinatorUnavailableException {
            throw new CoordinatorUnavailableException("no coordinator is configured");
        }

        @Override
        public CasResult create(PairRecord first) {
            return CasResult.UNREACHABLE;
        }

        @Override
        public CasResult takeLeadership(int version, PairRecord next) {
            return CasResult.UNREACHABLE;
        }

        @Override
        public CasResult update(int version, PairRecord next) {
            return CasResult.UNREACHABLE;
        }

        @Override
        public CasResult handOver(int version, PairRecord next) {
            return CasResult.UNREACHABLE;
        }

        @Override
        public void publishMember(byte[] info) {}

        @Override
        public java.util.Map<String, String> liveMembers() throws CoordinatorUnavailableException {
            throw new CoordinatorUnavailableException("no coordinator is configured");
        }

        @Override
        public String describe() {
            return "off";
        }

        @Override
        public void close() {}
    };
}
