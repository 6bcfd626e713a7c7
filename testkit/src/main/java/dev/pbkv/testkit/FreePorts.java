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

    /**
     * Free loopback ports below the kernel's ephemeral range ({@code ip_local_port_range}), for a
     * node that is killed and must bind its port again: while it is down, an outgoing connection
     * from this machine can be given a port of the ephemeral range as its local port, and one that
     * dials the dead node's port can even connect to itself (TCP simultaneous open) and hold it.
     * Ports below the range are never handed out that way. Random in [10000, low bound), each
     * checked by binding it.
     */
    public static int[] takeOutsideEphemeralRange(int count) {
        int low = ephemeralLow();
        java.util.Random rnd = new java.util.Random();
        java.util.Set<Integer> chosen = new java.util.LinkedHashSet<>();
        for (int attempt = 0; chosen.size() < count && attempt < 10_000; attempt++) {
            int p = 10_000 + rnd.nextInt(Math.max(1, low - 10_000));
            if (!chosen.contains(p) && bindable(p)) {
                chosen.add(p);
            }
        }
        if (chosen.size() < count) {
            return take(count); // a tiny range below the ephemeral one: fall back
        }
        return chosen.stream().mapToInt(Integer::intValue).toArray();
    }

    private static int ephemeralLow() {
        // A reader, not Files.readString: procfs files report size 0 and readString reads one byte.
        try (java.io.BufferedReader r = java.nio.file.Files.newBufferedReader(
                java.nio.file.Path.of("/proc/sys/net/ipv4/ip_local_port_range"))) {
            return Integer.parseInt(r.readLine().trim().split("\\s+")[0]);
        } catch (IOException | RuntimeException e) {
            return 32768; // Linux's default
        }
    }

    private static boolean bindable(int port) {
        try (ServerSocket s = new ServerSocket()) {
            s.setReuseAddress(true);
            s.bind(new java.net.InetSocketAddress(InetAddress.getLoopbackAddress(), port), 1);
            return true;
        } catch (IOException e) {
            return false;
        }
    }

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
