package dev.pbkv.server.config;

/**
 * The {@code limits} section: what a client may send. Every door enforces the same limits
 * through the command layer; the RESP framing limits guard that door's parser.
 *
 * @param maxKeyBytes        longest key accepted (default 1024)
 * @param maxValueBytes      longest value accepted (default 1048576, 1 MiB)
 * @param maxScanLimit       largest Scan limit accepted (default 10000); 0 asks for {@link #DEFAULT_SCAN_LIMIT}
 * @param respMaxBulkBytes   largest RESP bulk string (default 2 MiB)
 * @param respMaxArgs        most arguments in one RESP command (default 1024)
 * @param respMaxInlineBytes longest inline (telnet) RESP line (default 64 KiB)
 */
public record LimitSettings(
        int maxKeyBytes,
        int maxValueBytes,
        int maxScanLimit,
        long respMaxBulkBytes,
        int respMaxArgs,
        int respMaxInlineBytes) {
    /** The page a Scan with limit 0 returns. */
    public static final int DEFAULT_SCAN_LIMIT = 1000;
}
