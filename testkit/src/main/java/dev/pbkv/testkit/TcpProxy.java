package dev.pbkv.testkit;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketException;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A loopback TCP proxy for the robustness tier's nemesis: it listens on a free 127.0.0.1 port and
 * forwards every connection to a target, until told to misbehave.
 *
 * <ul>
 *   <li>{@link #cut()}: a blackhole. Open connections stay open but every byte is dropped, both
 *       ways, and new connections are accepted and then ignored: the far sides see silence, never
 *       a reset, as across a partitioned network. A connection that lost bytes can no longer carry
 *       its stream, so {@link #heal()} resets it (as a real one would be, by its own timeouts, after
 *       a long partition); connections that lost nothing carry on.
 *   <li>{@link #refuse()}: the port stops listening (a new connection is refused) and open
 *       connections are reset; {@link #heal()} listens on the same port again.
 *   <li>{@link #reset()}: resets every open connection now (RST, SO_LINGER 0), keeps accepting.
 *   <li>{@link #delay(long)}: every chunk is delivered that many milliseconds after it was read,
 *       in order, each direction on its own (latency, not a throughput cap).
 *   <li>{@link #heal()}: back to forwarding without delay.
 * </ul>
 *
 * <p>Threads: one acceptor, and per connection one reader and one writer per direction, all
 * daemon threads named {@code tcp-proxy-<port>-...}, from one executor that {@link #close()} shuts
 * down after closing every socket.
 */
public final class TcpProxy implements AutoCloseable {

    private enum Mode {
        FORWARD,
        CUT,
        REFUSE
    }

    private final InetSocketAddress target;
    private final int port;
    private final ExecutorService threads;
    /** Every connection not yet closed; the acceptor adds, a connection removes itself when it ends. */
    private final Set<Connection> connections = ConcurrentHashMap.newKeySet();

    private final AtomicInteger accepted = new AtomicInteger();
    // Guards mode and listener changes (cut, refuse, heal, close): one at a time, so a heal never
    // races a refuse over the listening socket. Readers of mode and delay read the volatiles.
    private final Object control = new Object();
    /** What the pumps and the acceptor do now; written under {@link #control}. */
    private volatile Mode mode = Mode.FORWARD;
    /** Milliseconds every chunk is held before it is written on; 0 forwards at once. */
    private volatile long delayMillis;

    private volatile ServerSocket listener;
    /** Ends when the acceptor of {@link #listener} has left accept(); written under {@link #control}. */
    private volatile CompletableFuture<Void> acceptorDone = CompletableFuture.completedFuture(null);

    private volatile boolean closed;

    private TcpProxy(InetSocketAddress target, int port) {
        this.target = target;
        this.port = port;
        AtomicInteger n = new AtomicInteger();
        ThreadFactory factory = r -> {
            Thread t = new Thread(r, "tcp-proxy-" + port + "-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        };
        this.threads = Executors.newCachedThreadPool(factory);
    }

    /** A proxy on a free loopback port to {@code 127.0.0.1:targetPort}, forwarding. */
    public static TcpProxy start(int targetPort) {
        return start(new InetSocketAddress(InetAddress.getLoopbackAddress(), targetPort), 0);
    }

    /** A proxy on {@code 127.0.0.1:listenPort} (0: a free one) to target, forwarding. */
    public static TcpProxy start(InetSocketAddress target, int listenPort) {
        ServerSocket s = bind(listenPort);
        TcpProxy proxy = new TcpProxy(target, s.getLocalPort());
        proxy.listen(s);
        return proxy;
    }

    private static ServerSocket bind(int port) {
        try {
            ServerSocket s = new ServerSocket();
            s.setReuseAddress(true);
            s.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 64);
            return s;
        } catch (IOException e) {
            throw new UncheckedIOException("tcp proxy: cannot listen on 127.0.0.1:" + port, e);
        }
    }

    private void listen(ServerSocket s) {
        listener = s;
        acceptorDone = CompletableFuture.runAsync(() -> acceptLoop(s), threads);
    }

    /**
     * Closes the listener and waits for its acceptor to leave accept(): while a thread is blocked in
     * accept() the kernel keeps the port listening after close() returns, so without the wait a
     * connect right after {@link #refuse()} could still be accepted.
     */
    private void stopListening() {
        closeQuietly(listener);
        try {
            acceptorDone.get(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (ExecutionException | TimeoutException e) {
            throw new IllegalStateException("tcp proxy " + address() + ": the acceptor did not stop", e);
        }
    }

    /** The port clients connect to. */
    public int port() {
        return port;
    }

    /** {@code 127.0.0.1:<port>}. */
    public String address() {
        return "127.0.0.1:" + port;
    }

    public InetSocketAddress target() {
        return target;
    }

    /** Connections accepted since the start (whatever became of them). */
    public int acceptedConnections() {
        return accepted.get();
    }

    /** Connections still open. */
    public int openConnections() {
        return connections.size();
    }

    /** Blackholes every connection, open and new: bytes are dropped both ways, nothing is closed. */
    public void cut() {
        synchronized (control) {
            ensureOpen();
            if (mode == Mode.REFUSE) {
                listen(bind(port));
            }
            mode = Mode.CUT;
        }
    }

    /** Stops listening (new connections are refused) and resets every open connection. */
    public void refuse() {
        synchronized (control) {
            ensureOpen();
            mode = Mode.REFUSE;
            stopListening();
            resetAll(List.copyOf(connections));
        }
    }

    /** Resets every open connection (the far sides see a connection reset); new ones are accepted. */
    public void reset() {
        synchronized (control) {
            ensureOpen();
            resetAll(List.copyOf(connections));
        }
    }

    /** Holds every chunk {@code millis} ms before passing it on (0: no delay). Open and new connections. */
    public void delay(long millis) {
        if (millis < 0) {
            throw new IllegalArgumentException("delay must be >= 0 ms, got " + millis);
        }
        delayMillis = millis;
    }

    /**
     * Forwards again, without delay. After a cut, the connections that lost bytes (or were accepted
     * while cut and never reached the target) are reset; after a refusal the port listens again.
     */
    public void heal() {
        synchronized (control) {
            ensureOpen();
            delayMillis = 0;
            if (mode == Mode.REFUSE) {
                listen(bind(port));
            }
            mode = Mode.FORWARD;
            resetAll(connections.stream().filter(Connection::damaged).toList());
        }
    }

    /** Whether the proxy is cut (blackholing). */
    public boolean isCut() {
        return mode == Mode.CUT;
    }

    @Override
    public void close() {
        synchronized (control) {
            if (closed) {
                return;
            }
            closed = true;
            closeQuietly(listener);
            List.copyOf(connections).forEach(Connection::close);
        }
        threads.shutdownNow();
        try {
            threads.awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public String toString() {
        return "TcpProxy[" + address() + " -> " + target.getHostString() + ":" + target.getPort() + ", " + mode
                + (delayMillis > 0 ? ", delay " + delayMillis + " ms" : "") + "]";
    }

    private void ensureOpen() {
        if (closed) {
            throw new IllegalStateException("tcp proxy " + address() + " is closed");
        }
    }

    private void acceptLoop(ServerSocket s) {
        while (!s.isClosed()) {
            Socket client;
            try {
                client = s.accept();
            } catch (IOException e) {
                return; // closed by refuse() or close()
            }
            accepted.incrementAndGet();
            Connection c = new Connection(client);
            connections.add(c);
            if (closed) {
                c.close();
                return;
            }
            threads.execute(c::open);
        }
    }

    private static void resetAll(List<Connection> list) {
        list.forEach(Connection::reset);
    }

    private static void closeQuietly(java.io.Closeable c) {
        if (c != null) {
            try {
                c.close();
            } catch (IOException ignored) {
                // closing is all we wanted
            }
        }
    }

    /** A chunk of bytes read from one side, due to be written to the other at {@code dueNanos}. */
    private record Chunk(byte[] bytes, long dueNanos) {
        static final Chunk END = new Chunk(new byte[0], 0);
    }

    /** One proxied connection: the accepted socket and, unless accepted while cut, one to the target. */
    private final class Connection {
        private final Socket client;
        private volatile Socket upstream;
        /** Set once a byte was dropped or the connection was accepted while cut: it cannot carry its stream on. */
        private volatile boolean damaged;

        private volatile boolean ended;
        /** Directions whose source ended and whose end was passed on; at 2 the connection is closed. */
        private final AtomicInteger directionsDone = new AtomicInteger();

        Connection(Socket client) {
            this.client = client;
        }

        boolean damaged() {
            return damaged;
        }

        void open() {
            if (mode == Mode.CUT) {
                // Accepted but ignored: read and drop whatever comes, never answer.
                damaged = true;
                threads.execute(() -> drain(client));
                return;
            }
            try {
                Socket up = new Socket();
                up.setTcpNoDelay(true);
                up.connect(target, 5000);
                upstream = up;
                client.setTcpNoDelay(true);
            } catch (IOException e) {
                // The target is down: the client sees the connection reset, as if connecting directly.
                reset();
                return;
            }
            pump(client, upstream);
            pump(upstream, client);
        }

        private void drain(Socket s) {
            byte[] buf = new byte[16 * 1024];
            try {
                InputStream in = s.getInputStream();
                while (in.read(buf) >= 0) {
                    // dropped
                }
            } catch (IOException ignored) {
                // reset or closed
            }
            // The peer closed: a cut keeps silent (no FIN back); the socket is closed at heal or close.
        }

        private void pump(Socket from, Socket to) {
            BlockingQueue<Chunk> queue = new LinkedBlockingQueue<>();
            threads.execute(() -> read(from, queue));
            threads.execute(() -> write(to, queue));
        }

        private void read(Socket from, BlockingQueue<Chunk> queue) {
            byte[] buf = new byte[16 * 1024];
            try {
                InputStream in = from.getInputStream();
                int n;
                while ((n = in.read(buf)) >= 0) {
                    if (mode != Mode.FORWARD) {
                        damaged = true;
                        continue;
                    }
                    long delay = delayMillis;
                    queue.add(
                            new Chunk(Arrays.copyOf(buf, n), delay == 0 ? 0 : System.nanoTime() + delay * 1_000_000L));
                }
            } catch (IOException e) {
                // reset or closed: end the other side too (unless cut, below)
            }
            queue.add(Chunk.END);
        }

        private void write(Socket to, BlockingQueue<Chunk> queue) {
            try {
                OutputStream out = to.getOutputStream();
                while (true) {
                    Chunk c = queue.take();
                    if (c == Chunk.END) {
                        break;
                    }
                    long wait = c.dueNanos() - System.nanoTime();
                    if (c.dueNanos() != 0 && wait > 0) {
                        TimeUnit.NANOSECONDS.sleep(wait);
                    }
                    if (mode != Mode.FORWARD) {
                        damaged = true;
                        continue;
                    }
                    out.write(c.bytes());
                    out.flush();
                }
                // The source ended. Forwarding passes the end on (FIN); a cut keeps silent until heal.
                while (mode == Mode.CUT && !ended) {
                    TimeUnit.MILLISECONDS.sleep(20);
                }
                if (!ended) {
                    to.shutdownOutput();
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                close();
                return;
            } catch (IOException e) {
                close(); // the sink is gone: so is the connection
                return;
            }
            if (directionsDone.incrementAndGet() == 2) {
                close();
            }
        }

        /** Closes both sockets with SO_LINGER 0: the far sides see a reset. */
        void reset() {
            try {
                client.setSoLinger(true, 0);
                Socket up = upstream;
                if (up != null) {
                    up.setSoLinger(true, 0);
                }
            } catch (SocketException ignored) {
                // already closed
            }
            close();
        }

        void close() {
            ended = true;
            connections.remove(this);
            closeQuietly(client);
            closeQuietly(upstream);
        }
    }
}
