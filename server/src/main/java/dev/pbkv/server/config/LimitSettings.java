package dev.pbkv.server.config;

import dev.pbkv.server.net.ConnectionLimits;

/**
 * The {@code limits} section: what a client may send. Every door enforces the same limits
 * through the command layer; the RESP framing limits guard that door's parser; the connection
 * limits (max-connections to idle-timeout-ms) are each door's backpressure (docs/configuration.md).
 *
 * @param maxKeyBytes        longest key accepted (default 1024)
 * @param maxValueBytes      longest value accepted (default 1048576, 1 MiB)
 * @param maxScanLimit       largest Scan limit accepted (default 10000); 0 asks for {@link #DEFAULT_SCAN_LIMIT}
 * @param respMaxBulkBytes   largest RESP bulk string (default 2 MiB)
 * @param respMaxArgs        most arguments in one RESP command (default 1024)
 * @param respMaxInlineBytes longest inline (telnet) RESP line (default 64 KiB)
 * @param maxConnections     connections each door (gRPC, RESP, HTTP) serves at once (default 10000)
 * @param outputBufferHighWater bytes of unwritten replies above which a RESP or HTTP connection is
 *                           not read (default 1 MiB)
 * @param outputBufferHardLimit bytes of unwritten replies above which a RESP or HTTP connection is
 *                           closed; 0 is no limit (default 64 MiB)
 * @param maxInflightPerConnection requests read and unanswered above which a RESP or HTTP
 *                           connection is not read (default 1024)
 * @param idleTimeoutMs      an idle connection is closed after this long; 0 never (default 0)
 * @param grpcMaxConcurrentCallsPerConnection concurrent gRPC calls (HTTP/2 streams) per connection
 *                           (default 1024)
 * @param grpcFlowControlWindow the HTTP/2 flow-control window of each gRPC stream, in bytes (default 1 MiB)
 * @param maxBatchOps        most operations in one atomic batch (default 1000)
 * @param maxBatchBytes      most key and value bytes in one atomic batch (default 4 MiB)
 */
public record LimitSettings(
        int maxKeyBytes,
        int maxValueBytes,
        int maxScanLimit,
        long respMaxBulkBytes,
        int respMaxArgs,
        int respMaxInlineBytes,
        int maxConnections,
        long outputBufferHighWater,
        long outputBufferHardLimit,
        int maxInflightPerConnection,
        long idleTimeoutMs,
        int grpcMaxConcurrentCallsPerConnection,
        long grpcFlowControlWindow,
        int maxBatchOps,
        long maxBatchBytes) {
    /** The page a Scan with limit 0 returns. */
    public static final int DEFAULT_SCAN_LIMIT = 1000;

    /** The limits every plain-Netty door (RESP, HTTP) keeps per connection. */
    public ConnectionLimits connectionLimits() {
        return new ConnectionLimits(
                maxConnections,
                Math.toIntExact(outputBufferHighWater),
                outputBufferHardLimit,
                maxInflightPerConnection,
                idleTimeoutMs);
    }
}
