package dev.pbkv.tester.robustness;

import dev.pbkv.tester.driver.NodeConnector;
import io.grpc.ManagedChannel;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * One gRPC channel per node address (host:port), with {@link ServerAnswered} on each; closed
 * together. Plaintext without credentials: the robustness run's nodes are its own, started without
 * users or TLS.
 */
final class NodeChannels implements AutoCloseable {
    private final Map<String, ManagedChannel> channels = new LinkedHashMap<>();
    private final List<String> addresses;

    NodeChannels(List<String> addresses) {
        this.addresses = List.copyOf(addresses);
        for (String a : addresses) {
            channels.put(
                    a,
                    NodeConnector.PLAINTEXT
                            .grpc(a)
                            .intercept(new ServerAnswered())
                            .build());
        }
    }

    List<String> addresses() {
        return addresses;
    }

    boolean knows(String address) {
        return channels.containsKey(address);
    }

    ManagedChannel get(String address) {
        ManagedChannel c = channels.get(address);
        if (c == null) {
            throw new IllegalArgumentException("unknown node " + address);
        }
        return c;
    }

    /** The address after this one, round the list. */
    String after(String address) {
        int i = addresses.indexOf(address);
        return addresses.get((i + 1) % addresses.size());
    }

    @Override
    public void close() {
        channels.values().forEach(ManagedChannel::shutdownNow);
        for (ManagedChannel c : channels.values()) {
            try {
                c.awaitTermination(5, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }
}
