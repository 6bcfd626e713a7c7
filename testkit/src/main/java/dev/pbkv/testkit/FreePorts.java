package dev.pbkv.testkit;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;

/**
 * Free TCP ports on the loopback interface, for nodes that must know each other's port before
 * either starts (a node alone is better given port 0: it binds a free port itself and names it
 * in node.json). The ports of one {@link #take(int)} call are distinct: every socket stays open
 * until all are chosen.
 */
public final class FreePorts {
    private FreePorts() {}

    public static int take() {
        return take(1)[0];
    }

    public static int[] take(int count) {
        ServerSocket[] sockets = new ServerSocket[count];
        try {
            int[] ports = new int[count];
            for (int i = 0; i < count; i++) {
                sockets[i] = new ServerSocket(0, 1, InetAddress.getLoopbackAddress());
                sockets[i].setReuseAddress(true);
                ports[i] = sockets[i].getLocalPort();
            }
            return ports;
        } catch (IOException e) {
            throw new UncheckedIOException("no free loopback port", e);
        } finally {
            for (ServerSocket s : sockets) {
                if (s != null) {
                    try {
                        s.close();
                    } catch (IOException ignored) {
                        // the port is still free for the node
                    }
                }
            }
        }
    }
}
