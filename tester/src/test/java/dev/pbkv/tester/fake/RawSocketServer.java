package dev.pbkv.tester.fake;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A loopback server that is not a KV node: it answers every connection with garbage and closes
 * it, or ({@code silent}) accepts and never says anything, so a client must time out, or
 * ({@code stalling}) sends HTTP headers and the start of a body that never ends.
 */
public final class RawSocketServer implements AutoCloseable {
    private final ServerSocket socket;
    private final boolean silent;
    /** Sent before holding the connection open (null: nothing). */
    private final byte[] prefix;
    /** Connections held open by a silent server, closed at the end. */
    private final List<Socket> held = new CopyOnWriteArrayList<>();

    private final Thread acceptor;

    public RawSocketServer(boolean silent) throws IOException {
        this(silent, null);
    }

    private RawSocketServer(boolean silent, byte[] prefix) throws IOException {
        this.socket = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        this.silent = silent;
        this.prefix = prefix;
        this.acceptor = new Thread(this::serve, "raw-socket-server");
        acceptor.setDaemon(true);
        acceptor.start();
    }

    public static RawSocketServer garbage() throws IOException {
        return new RawSocketServer(false);
    }

    public static RawSocketServer silent() throws IOException {
        return new RawSocketServer(true);
    }

    /** Answers HTTP headers and half a chunked body, then nothing. */
    public static RawSocketServer stalling() throws IOException {
        return new RawSocketServer(
                true,
                ("HTTP/1.1 200 OK\r\ncontent-type: application/json\r\n"
                                + "transfer-encoding: chunked\r\n\r\n5\r\n{\"a\":\r\n")
                        .getBytes(StandardCharsets.ISO_8859_1));
    }

    public int port() {
        return socket.getLocalPort();
    }

    private void serve() {
        while (!socket.isClosed()) {
            try {
                Socket s = socket.accept();
                if (silent) {
                    held.add(s);
                    if (prefix != null) {
                        s.getOutputStream().write(prefix);
                        s.getOutputStream().flush();
                    }
                    continue;
                }
                try (s;
                        OutputStream out = s.getOutputStream()) {
                    out.write("@@@ this is not a key-value server \u0000\u0001\u0002 @@@\r\n\r\n"
                            .getBytes(StandardCharsets.ISO_8859_1));
                    out.flush();
                    s.shutdownOutput();
                    s.getInputStream().readNBytes(64);
                } catch (IOException ignored) {
                    // the client went away first: nothing to clean up beyond the socket
                }
            } catch (IOException closed) {
                return;
            }
        }
    }

    /** A loopback port nothing listens on. */
    public static int closedPort() {
        return dev.pbkv.testkit.FreePorts.take();
    }

    @Override
    public void close() throws IOException {
        socket.close();
        for (Socket s : held) {
            s.close();
        }
    }
}
