package dev.pbkv.tester.robustness;

import dev.pbkv.proto.AdminGrpc;
import dev.pbkv.proto.NodeState;
import dev.pbkv.proto.Role;
import dev.pbkv.proto.StatusRequest;
import dev.pbkv.proto.StatusResponse;
import dev.pbkv.testkit.FreePorts;
import dev.pbkv.testkit.NodeProcess;
import dev.pbkv.testkit.ProcessPause;
import dev.pbkv.testkit.TcpProxy;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * The pair under test, with the nemesis's handles on it: two node processes on fixed free ports
 * ({@link NodeProcess}), each node's peer address pointing through its own {@link TcpProxy} to the
 * other node, and each node's coordinator address through its own proxy to the coordinator (when
 * there is one). Clients talk to the nodes directly. {@link #close()} resumes any paused node,
 * then stops every process by its PID and closes the proxies.
 */
final class Cluster implements AutoCloseable {
    /** One node and the proxies that carry its traffic to the others. */
    static final class Node {
        final String name;
        final NodeProcess process;
        /** This node's link to its peer (its --peer address). */
        final TcpProxy toPeer;
        /** This node's link to the coordinator; null without one. */
        final TcpProxy toCoordinator;

        volatile boolean paused;

        Node(String name, NodeProcess process, TcpProxy toPeer, TcpProxy toCoordinator) {
            this.name = name;
            this.process = process;
            this.toPeer = toPeer;
            this.toCoordinator = toCoordinator;
        }

        String address() {
            return process.grpcAddress();
        }

        @Override
        public String toString() {
            return name;
        }
    }

    /** How the nodes are started. */
    record Options(String classpath, long sessionTimeoutMs, List<String> nodeArgs) {}

    private final Coordinator coordinator;
    private final Node a;
    private final Node b;
    private final List<AutoCloseable> proxies = new ArrayList<>();

    private Cluster(Coordinator coordinator, Node a, Node b) {
        this.coordinator = coordinator;
        this.a = a;
        this.b = b;
        proxies.add(a.toPeer);
        proxies.add(b.toPeer);
        if (a.toCoordinator != null) {
            proxies.add(a.toCoordinator);
            proxies.add(b.toCoordinator);
        }
    }

    /** Starts the coordinator (when there is one), the proxies and both nodes; waits until both are up. */
    static Cluster start(Path dir, Coordinator coordinator, Options options) {
        // Outside the ephemeral range: a killed node binds its port again on restart.
        int[] ports = FreePorts.takeOutsideEphemeralRange(2);
        TcpProxy aToB = TcpProxy.start(ports[1]);
        TcpProxy bToA = TcpProxy.start(ports[0]);
        TcpProxy aToC = null;
        TcpProxy bToC = null;
        if (coordinator.available()) {
            coordinator.start();
            InetSocketAddress c = parse(coordinator.address());
            aToC = TcpProxy.start(c, 0);
            bToC = TcpProxy.start(c, 0);
        }
        NodeProcess pa = build(dir, "primary", ports[0], aToB, aToC, options);
        NodeProcess pb = build(dir, "backup", ports[1], bToA, bToC, options);
        Cluster cluster =
                new Cluster(coordinator, new Node("primary", pa, aToB, aToC), new Node("backup", pb, bToA, bToC));
        try {
            pa.startNoWait();
            pb.startNoWait();
            pa.awaitReady();
            pb.awaitReady();
        } catch (RuntimeException e) {
            cluster.close();
            throw e;
        }
        return cluster;
    }

    private static NodeProcess build(
            Path dir, String role, int port, TcpProxy toPeer, TcpProxy toCoordinator, Options options) {
        NodeProcess.Builder builder = NodeProcess.node(role, dir.resolve(role))
                .readiness(NodeProcess.Readiness.UP)
                .grpcPort(port)
                .peer(toPeer.address())
                .set("coordinator.connect", toCoordinator == null ? "off" : toCoordinator.address());
        if (toCoordinator != null) {
            builder.set("coordinator.session-timeout-ms", Long.toString(options.sessionTimeoutMs()));
        }
        if (options.classpath() != null) {
            builder.classpath(options.classpath());
        }
        builder.args(options.nodeArgs().toArray(String[]::new));
        return builder.build();
    }

    private static InetSocketAddress parse(String hostPort) {
        int i = hostPort.lastIndexOf(':');
        return new InetSocketAddress(hostPort.substring(0, i), Integer.parseInt(hostPort.substring(i + 1)));
    }

    Coordinator coordinator() {
        return coordinator;
    }

    List<Node> nodes() {
        return List.of(a, b);
    }

    Node other(Node n) {
        return n == a ? b : a;
    }

    List<String> addresses() {
        return List.of(a.address(), b.address());
    }

    /** Admin.Status of a node, or empty when it does not answer within the timeout. */
    Optional<StatusResponse> status(Node n, Duration timeout) {
        if (!n.process.isAlive() || n.paused) {
            return Optional.empty();
        }
        try {
            return Optional.of(AdminGrpc.newBlockingStub(n.process.channel())
                    .withDeadlineAfter(timeout.toMillis(), TimeUnit.MILLISECONDS)
                    .status(StatusRequest.getDefaultInstance()));
        } catch (RuntimeException e) {
            return Optional.empty();
        }
    }

    /** The node that says it is primary now (the first, if both do), if any answers so. */
    Optional<Node> primary() {
        for (Node n : nodes()) {
            if (status(n, Duration.ofSeconds(1))
                    .map(s -> s.getRole() == Role.PRIMARY)
                    .orElse(false)) {
                return Optional.of(n);
            }
        }
        return Optional.empty();
    }

    /** Whether one node is PRIMARY in SYNC and the other BACKUP in SYNC, both answering. */
    boolean healthy() {
        Optional<StatusResponse> sa = status(a, Duration.ofSeconds(1));
        Optional<StatusResponse> sb = status(b, Duration.ofSeconds(1));
        if (sa.isEmpty() || sb.isEmpty()) {
            return false;
        }
        return (inSync(sa.get(), Role.PRIMARY) && inSync(sb.get(), Role.BACKUP))
                || (inSync(sb.get(), Role.PRIMARY) && inSync(sa.get(), Role.BACKUP));
    }

    private static boolean inSync(StatusResponse s, Role r) {
        return s.getRole() == r && s.getState() == NodeState.SYNC;
    }

    /** A line per node: role, state, epoch, offsets (for the report when recovery fails). */
    String describe() {
        StringBuilder sb = new StringBuilder();
        for (Node n : nodes()) {
            sb.append("  ").append(n.name).append(" (").append(n.address()).append("): ");
            if (!n.process.isAlive()) {
                sb.append("not running");
            } else if (n.paused) {
                sb.append("paused");
            } else {
                sb.append(status(n, Duration.ofSeconds(2))
                        .map(s -> s.getRole() + " " + s.getState() + " epoch " + s.getEpoch() + " last "
                                + s.getLastOffset() + " committed " + s.getCommittedOffset())
                        .orElse("does not answer"));
            }
            sb.append('\n');
        }
        return sb.toString();
    }

    /** kill -9 (a paused node too). */
    void kill(Node n) {
        n.process.kill();
        n.paused = false;
    }

    /** Starts a killed node again on its data; waits until it is up, whatever role it ends in. */
    void restart(Node n) {
        if (!n.process.isAlive()) {
            n.process.startUp();
        }
    }

    /** SIGSTOP: the process stops in its tracks, sockets open, silent; returns once every thread has stopped. */
    void pause(Node n) {
        n.paused = true; // first: close() resumes it even if the wait for its threads fails
        ProcessPause.pause(n.process.pid());
    }

    /** SIGCONT. */
    void resume(Node n) {
        if (n.paused) {
            ProcessPause.resume(n.process.pid());
            n.paused = false;
        }
    }

    /** Cuts both node-to-node links (a partition between the nodes; both still reach clients). */
    void cutNodes() {
        a.toPeer.cut();
        b.toPeer.cut();
    }

    void healNodes() {
        a.toPeer.heal();
        b.toPeer.heal();
    }

    /** Ends every fault: resumes paused nodes, heals every proxy, restarts dead nodes and the coordinator. */
    void healAll(boolean coordinatorDown) {
        nodes().forEach(this::resume);
        for (Node n : nodes()) {
            n.toPeer.heal();
            if (n.toCoordinator != null) {
                n.toCoordinator.heal();
            }
        }
        if (coordinatorDown) {
            coordinator.restart();
        }
        nodes().forEach(this::restart);
    }

    @Override
    public void close() {
        try {
            for (Node n : nodes()) {
                if (n.paused && n.process.isAlive()) {
                    try {
                        resume(n);
                    } catch (RuntimeException e) {
                        // kill -9 below ends it anyway
                    }
                }
            }
            for (Node n : nodes()) {
                try {
                    n.process.close();
                } catch (RuntimeException e) {
                    n.process.kill();
                }
            }
        } finally {
            for (AutoCloseable p : proxies) {
                try {
                    p.close();
                } catch (Exception ignored) {
                    // closing all we can
                }
            }
            coordinator.close();
        }
    }
}
