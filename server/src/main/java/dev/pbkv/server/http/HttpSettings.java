package dev.pbkv.server.http;

import dev.pbkv.server.net.ConnectionLimits;
import dev.pbkv.server.net.ListeningDoor;
import io.netty.handler.ssl.SslContext;

/**
 * The HTTP door's settings, validated once here.
 *
 * @param host          address to bind, e.g. 127.0.0.1
 * @param port          port to bind; 0 picks a free one
 * @param maxBodyBytes  largest request body (a form with key and value); larger answers 413
 * @param maxUriBytes   longest request line (method, path and query string); longer answers 414
 * @param ioThreads     Netty event-loop threads; 0 means one
 * @param connections   how many connections, and how much unread output and how many requests
 *                      in flight each may have (limits.max-connections and the rest)
 */
public record HttpSettings(
        String host,
        int port,
        int maxBodyBytes,
        int maxUriBytes,
        int ioThreads,
        ConnectionLimits connections,
        SslContext tls) {

    /** A form carrying a 1 MiB value, percent-encoded (up to 3 bytes per byte), with room to spare. */
    public static final int DEFAULT_MAX_BODY_BYTES = 4 * 1024 * 1024;

    public static final int DEFAULT_MAX_URI_BYTES = 64 * 1024;

    public HttpSettings {
        ListeningDoor.checkListenSettings("http", host, port, ioThreads);
        if (maxBodyBytes < 1024) {
            throw new IllegalArgumentException("http max body bytes must be >= 1024, got " + maxBodyBytes);
        }
        if (maxUriBytes < 256) {
            throw new IllegalArgumentException("http max uri bytes must be >= 256, got " + maxUriBytes);
        }
        if (connections == null) {
            throw new IllegalArgumentException("http connection limits must be given");
        }
    }

    public HttpSettings(String host, int port, int maxBodyBytes, int maxUriBytes, int ioThreads) {
        this(host, port, maxBodyBytes, maxUriBytes, ioThreads, ConnectionLimits.DEFAULTS, null);
    }

    public HttpSettings(
            String host, int port, int maxBodyBytes, int maxUriBytes, int ioThreads, ConnectionLimits connections) {
        this(host, port, maxBodyBytes, maxUriBytes, ioThreads, connections, null);
    }

    /** These settings served over TLS with tls (null: plaintext). */
    public HttpSettings withTls(SslContext context) {
        return new HttpSettings(host, port, maxBodyBytes, maxUriBytes, ioThreads, connections, context);
    }

    /** These settings with other connection limits. */
    public HttpSettings withConnections(ConnectionLimits limits) {
        return new HttpSettings(host, port, maxBodyBytes, maxUriBytes, ioThreads, limits, tls);
    }

    public HttpSettings(String host, int port) {
        this(host, port, DEFAULT_MAX_BODY_BYTES, DEFAULT_MAX_URI_BYTES, 0);
    }

    int effectiveIoThreads() {
        return ioThreads > 0 ? ioThreads : 1;
    }
}
