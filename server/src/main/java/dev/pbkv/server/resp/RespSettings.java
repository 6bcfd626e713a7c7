package dev.pbkv.server.resp;

import dev.pbkv.server.net.ConnectionLimits;
import dev.pbkv.server.net.ListeningDoor;
import io.netty.handler.ssl.SslContext;

/**
 * The Redis-protocol door's settings, validated once here.
 *
 * @param host           address to bind, e.g. 127.0.0.1
 * @param port           port to bind; 0 picks a free one
 * @param maxBulkBytes   largest bulk string (one argument) a request may carry
 *                       (limits.resp-max-bulk-bytes)
 * @param maxArgs        most arguments in one request, command name included
 *                       (limits.resp-max-args)
 * @param maxInlineBytes longest inline (telnet) line, and longest RESP header line
 *                       (limits.resp-max-inline-bytes)
 * @param ioThreads      Netty event-loop threads serving connections; 0 means one per core
 * @param connections    how many connections, and how much unread output and how many
 *                       commands in flight each may have (limits.max-connections and the rest)
 */
public record RespSettings(
        String host,
        int port,
        int maxBulkBytes,
        int maxArgs,
        int maxInlineBytes,
        int ioThreads,
        ConnectionLimits connections,
        SslContext tls) {

    public static final int DEFAULT_MAX_BULK_BYTES = 2 * 1024 * 1024;
    public static final int DEFAULT_MAX_ARGS = 1024;
    public static final int DEFAULT_MAX_INLINE_BYTES = 64 * 1024;

    public RespSettings {
        ListeningDoor.checkListenSettings("resp", host, port, ioThreads);
        if (maxBulkBytes < 1) {
            throw new IllegalArgumentException("limits.resp-max-bulk-bytes must be >= 1, got " + maxBulkBytes);
        }
        if (maxArgs < 2) {
            throw new IllegalArgumentException("limits.resp-max-args must be >= 2, got " + maxArgs);
        }
        if (maxInlineBytes < 64) {
            throw new IllegalArgumentException("limits.resp-max-inline-bytes must be >= 64, got " + maxInlineBytes);
        }
        if (connections == null) {
            throw new IllegalArgumentException("resp connection limits must be given");
        }
    }

    public RespSettings(String host, int port, int maxBulkBytes, int maxArgs, int maxInlineBytes, int ioThreads) {
        this(host, port, maxBulkBytes, maxArgs, maxInlineBytes, ioThreads, ConnectionLimits.DEFAULTS, null);
    }

    public RespSettings(
            String host,
            int port,
            int maxBulkBytes,
            int maxArgs,
            int maxInlineBytes,
            int ioThreads,
            ConnectionLimits connections) {
        this(host, port, maxBulkBytes, maxArgs, maxInlineBytes, ioThreads, connections, null);
    }

    /** These settings served over TLS with context (null: plaintext). */
    public RespSettings withTls(SslContext context) {
        return new RespSettings(host, port, maxBulkBytes, maxArgs, maxInlineBytes, ioThreads, connections, context);
    }

    public RespSettings(String host, int port, int maxBulkBytes, int maxArgs, int maxInlineBytes) {
        this(host, port, maxBulkBytes, maxArgs, maxInlineBytes, 0);
    }

    /** These settings with other connection limits. */
    public RespSettings withConnections(ConnectionLimits limits) {
        return new RespSettings(host, port, maxBulkBytes, maxArgs, maxInlineBytes, ioThreads, limits, tls);
    }

    /** The limits of conf/settings.conf's defaults. */
    public static RespSettings defaults(String host, int port) {
        return new RespSettings(
                host,
                port,
                DEFAULT_MAX_BULK_BYTES,
                DEFAULT_MAX_ARGS,
                DEFAULT_MAX_INLINE_BYTES,
                0,
                ConnectionLimits.DEFAULTS);
    }

    int effectiveIoThreads() {
        return ioThreads > 0 ? ioThreads : Runtime.getRuntime().availableProcessors();
    }
}
