package dev.pbkv.client;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Executor;

/**
 * Everything a client is built with; see {@link PbkvClientBuilder} for the meaning and the
 * defaults of each field.
 */
record ClientOptions(
        List<Endpoint> endpoints,
        Duration callTimeout,
        Duration retryDeadline,
        Duration initialBackoff,
        Duration maxBackoff,
        Duration streamTimeout,
        boolean allowStale,
        int maxInboundMessageBytes,
        Executor callbackExecutor,
        Credentials credentials,
        Tls tls) {

    /** A user name and password sent with every call (HTTP Basic in the authorization metadata). */
    record Credentials(String user, String password) {
        @Override
        public String toString() {
            return "Credentials[user=" + user + ", password=(hidden)]";
        }
    }

    /**
     * TLS to the nodes: trust caFile (null: the JDK's default trust store) and, for mutual TLS,
     * present certFile with keyFile (both null: no client certificate).
     */
    record Tls(Path caFile, Path certFile, Path keyFile) {}

    ClientOptions {
        endpoints = List.copyOf(endpoints);
        if (endpoints.isEmpty()) {
            throw new IllegalArgumentException("a pbkv client needs at least one endpoint");
        }
        requirePositive("callTimeout", callTimeout);
        requirePositive("retryDeadline", retryDeadline);
        requirePositive("initialBackoff", initialBackoff);
        requirePositive("maxBackoff", maxBackoff);
        requirePositive("streamTimeout", streamTimeout);
        if (maxBackoff.compareTo(initialBackoff) < 0) {
            throw new IllegalArgumentException(
                    "maxBackoff " + maxBackoff + " is below initialBackoff " + initialBackoff);
        }
    }

    private static void requirePositive(String name, Duration d) {
        if (d == null || d.isNegative() || d.isZero()) {
            throw new IllegalArgumentException(name + " must be a positive duration, got " + d);
        }
    }
}
