package dev.pbkv.client;

import java.util.Objects;

/**
 * The gRPC address of one pbkv node, {@code host:port}. IPv6 hosts are written in brackets,
 * {@code [::1]:7001}.
 */
public record Endpoint(String host, int port) {

    public Endpoint {
        Objects.requireNonNull(host, "host");
        if (host.isBlank()) {
            throw new IllegalArgumentException("endpoint host is empty");
        }
        if (port < 1 || port > 65535) {
            throw new IllegalArgumentException("endpoint port " + port + " is not in 1..65535");
        }
    }

    /** Parses {@code host:port} or {@code [v6-host]:port}; the message says what is wrong. */
    public static Endpoint parse(String text) {
        Objects.requireNonNull(text, "endpoint");
        String s = text.trim();
        int colon = s.lastIndexOf(':');
        if (colon <= 0 || colon == s.length() - 1) {
            throw new IllegalArgumentException("endpoint '" + text + "' is not host:port");
        }
        String host = s.substring(0, colon);
        if (host.startsWith("[") && host.endsWith("]")) {
            host = host.substring(1, host.length() - 1);
        } else if (host.contains(":")) {
            throw new IllegalArgumentException("endpoint '" + text + "': write an IPv6 host in brackets, [::1]:7001");
        }
        int port;
        try {
            port = Integer.parseInt(s.substring(colon + 1));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("endpoint '" + text + "' has no numeric port");
        }
        return new Endpoint(host, port);
    }

    @Override
    public String toString() {
        return host.contains(":") ? "[" + host + "]:" + port : host + ":" + port;
    }
}
