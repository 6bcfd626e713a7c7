package dev.pbkv.server.resp;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.ByteToMessageDecoder;

import java.util.List;

/**
 * Decodes the Redis request stream into {@link RespRequest}s (multibulk arrays of bulk strings,
 * or inline lines) and {@link RespProtocolError}s.
 *
 * <p>Why not Netty's {@code RedisDecoder} + aggregators: the stock decoder caps bulk strings at a
 * fixed 512 MB and has no cap on the argument count, so two of our three limits could only be
 * checked after the memory was already committed; and it builds five objects per argument (header,
 * content, aggregated message, array, list) where a request only needs its argument bytes. This
 * decoder checks every length header against the limits the moment the header arrives, before it
 * buffers a byte of the body, and copies each argument once into a byte[] the command layer takes.
 *
 * <p>A multibulk request is parsed only once it is complete: a partial one leaves the buffer as it
 * is and waits for more bytes, so a pipelined burst is decoded in one pass and a half-sent frame
 * costs nothing but its buffered bytes. After an error that loses the framing (a bad or
 * oversized header) the decoder discards everything that follows; the handler closes the
 * connection once the error is written.
 */
final class RespRequestDecoder extends ByteToMessageDecoder {

    /** Longest "*N" or "$N" header line we look for before calling it malformed. */
    private static final int MAX_HEADER_LINE = 24;

    private final int maxBulkBytes;
    private final int maxArgs;
    private final int maxInlineBytes;

    /** Argument start offsets and lengths of the request being parsed; reused, event loop only. */
    private int[] argStarts = new int[16];
    private int[] argLengths = new int[16];
    /** Set after an unrecoverable error: every later byte is dropped. Event loop only. */
    private boolean failed;

    RespRequestDecoder(int maxBulkBytes, int maxArgs, int maxInlineBytes) {
        this.maxBulkBytes = maxBulkBytes;
        this.maxArgs = maxArgs;
        this.maxInlineBytes = maxInlineBytes;
    }

    @Override
    protected void decode(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) {
        if (failed) {
            in.skipBytes(in.readableBytes());
            return;
        }
        if (in.getByte(in.readerIndex()) == '*') {
            decodeMultiBulk(in, out);
        } else {
            decodeInline(in, out);
        }
    }

    private void decodeMultiBulk(ByteBuf in, List<Object> out) {
        int start = in.readerIndex();
        int end = in.writerIndex();
        int lf = findLf(in, start + 1, end);
        if (lf < 0) {
            if (end - start > MAX_HEADER_LINE) {
                fail(in, out, "ERR Protocol error: invalid multibulk length");
            }
            return;
        }
        long count = parseHeaderNumber(in, start + 1, lf);
        if (count == Long.MIN_VALUE) {
            fail(in, out, "ERR Protocol error: invalid multibulk length");
            return;
        }
        if (count <= 0) {
            // "*0" and "*-1" are empty requests; Redis skips them.
            in.readerIndex(lf + 1);
            return;
        }
        if (count > maxArgs) {
            fail(in, out, "ERR Protocol error: " + count + " arguments exceed the limit of " + maxArgs
                    + " (limits.resp-max-args)");
            return;
        }
        int n = (int) count;
        ensureArgCapacity(n);
        int pos = lf + 1;
        for (int i = 0; i < n; i++) {
            if (pos >= end) {
                return;
            }
            byte type = in.getByte(pos);
            if (type != '$') {
                fail(in, out, "ERR Protocol error: expected '$', got '" + printable(type) + "'");
                return;
            }
            int bulkLf = findLf(in, pos + 1, end);
            if (bulkLf < 0) {
                if (end - pos > MAX_HEADER_LINE) {
                    fail(in, out, "ERR Protocol error: invalid bulk length");
                }
                return;
            }
            long length = parseHeaderNumber(in, pos + 1, bulkLf);
            if (length == Long.MIN_VALUE || length < 0) {
                fail(in, out, "ERR Protocol error: invalid bulk length");
                return;
            }
            if (length > maxBulkBytes) {
                fail(in, out, "ERR Protocol error: bulk length " + length + " exceeds the limit of " + maxBulkBytes
                        + " bytes (limits.resp-max-bulk-bytes)");
                return;
            }
            int dataStart = bulkLf + 1;
            long dataEnd = (long) dataStart + length;
            if (dataEnd + 2 > end) {
                return;
            }
            if (in.getByte((int) dataEnd) != '\r' || in.getByte((int) dataEnd + 1) != '\n') {
                fail(in, out, "ERR Protocol error: bulk string not terminated by CRLF");
                return;
            }
            argStarts[i] = dataStart;
            argLengths[i] = (int) length;
            pos = (int) dataEnd + 2;
        }
        byte[][] args = new byte[n][];
        for (int i = 0; i < n; i++) {
            byte[] arg = new byte[argLengths[i]];
            in.getBytes(argStarts[i], arg);
            args[i] = arg;
        }
        in.readerIndex(pos);
        out.add(new RespRequest(args, false));
    }

    private void decodeInline(ByteBuf in, List<Object> out) {
        int start = in.readerIndex();
        int end = in.writerIndex();
        int searchEnd = (int) Math.min(end, (long) start + maxInlineBytes + 2);
        int lf = findLf(in, start, searchEnd);
        if (lf < 0) {
            if (end - start > maxInlineBytes + 1) {
                fail(in, out, "ERR Protocol error: too big inline request (limit " + maxInlineBytes
                        + " bytes, limits.resp-max-inline-bytes)");
            }
            return;
        }
        int lineEnd = lf;
        if (lineEnd > start && in.getByte(lineEnd - 1) == '\r') {
            lineEnd--;
        }
        byte[] line = new byte[lineEnd - start];
        in.getBytes(start, line);
        in.readerIndex(lf + 1);
        List<byte[]> args = InlineLineSplitter.split(line, line.length);
        if (args == null) {
            // The line is consumed whole, so the stream stays in step: answer and go on.
            out.add(new RespProtocolError("ERR Protocol error: unbalanced quotes in request", false));
            return;
        }
        if (args.isEmpty()) {
            return;
        }
        if (args.size() > maxArgs) {
            out.add(new RespProtocolError("ERR Protocol error: " + args.size() + " arguments exceed the limit of "
                    + maxArgs + " (limits.resp-max-args)", false));
            return;
        }
        out.add(new RespRequest(args.toArray(new byte[0][]), true));
    }

    private void fail(ByteBuf in, List<Object> out, String message) {
        failed = true;
        in.skipBytes(in.readableBytes());
        out.add(new RespProtocolError(message, true));
    }

    private void ensureArgCapacity(int n) {
        if (argStarts.length < n) {
            int size = Math.max(n, argStarts.length * 2);
            argStarts = new int[size];
            argLengths = new int[size];
        }
    }

    private static int findLf(ByteBuf in, int from, int to) {
        if (from >= to) {
            return -1;
        }
        return in.indexOf(from, to, (byte) '\n');
    }

    /** The number on a header line [from, lf), which must end in CR; Long.MIN_VALUE if malformed. */
    private static long parseHeaderNumber(ByteBuf in, int from, int lf) {
        int end = lf - 1;
        if (end <= from || in.getByte(end) != '\r' || end - from > 19) {
            return Long.MIN_VALUE;
        }
        boolean negative = in.getByte(from) == '-';
        int i = negative ? from + 1 : from;
        if (i >= end) {
            return Long.MIN_VALUE;
        }
        long value = 0;
        for (; i < end; i++) {
            byte c = in.getByte(i);
            if (c < '0' || c > '9') {
                return Long.MIN_VALUE;
            }
            value = value * 10 + (c - '0');
        }
        return negative ? -value : value;
    }

    private static String printable(byte b) {
        return b >= 0x20 && b < 0x7f ? String.valueOf((char) b) : String.format("\\x%02x", b & 0xff);
    }
}
