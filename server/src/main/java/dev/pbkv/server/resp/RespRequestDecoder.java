package dev.pbkv.server.resp;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.ByteToMessageDecoder;
import io.netty.util.ByteProcessor;
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

    private static final short CRLF = ('\r' << 8) | '\n';

    private final HeaderLine header = new HeaderLine();
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
        int lf = header.parse(in, start + 1, end);
        if (lf < 0) {
            if (end - start > MAX_HEADER_LINE) {
                fail(in, out, "ERR Protocol error: invalid multibulk length");
            }
            return;
        }
        long count = header.value();
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
            fail(
                    in,
                    out,
                    "ERR Protocol error: " + count + " arguments exceed the limit of " + maxArgs
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
            int bulkLf = header.parse(in, pos + 1, end);
            if (bulkLf < 0) {
                if (end - pos > MAX_HEADER_LINE) {
                    fail(in, out, "ERR Protocol error: invalid bulk length");
                }
                return;
            }
            long length = header.value();
            if (length == Long.MIN_VALUE || length < 0) {
                fail(in, out, "ERR Protocol error: invalid bulk length");
                return;
            }
            if (length > maxBulkBytes) {
                fail(
                        in,
                        out,
                        "ERR Protocol error: bulk length " + length + " exceeds the limit of " + maxBulkBytes
                                + " bytes (limits.resp-max-bulk-bytes)");
                return;
            }
            int dataStart = bulkLf + 1;
            long dataEnd = (long) dataStart + length;
            if (dataEnd + 2 > end) {
                return;
            }
            if (in.getShort((int) dataEnd) != CRLF) {
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
                fail(
                        in,
                        out,
                        "ERR Protocol error: too big inline request (limit " + maxInlineBytes
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
            out.add(new RespProtocolError(
                    "ERR Protocol error: " + args.size() + " arguments exceed the limit of " + maxArgs
                            + " (limits.resp-max-args)",
                    false));
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

    /**
     * Reads a "*N" / "$N" header line in one pass over the buffer (a ByteProcessor, so no bounds
     * check per byte): the number, 1-18 digits (so it cannot overflow) with an optional '-', then CR LF.
     * Reused for every header; event loop only.
     */
    private static final class HeaderLine implements ByteProcessor {
        private long value;
        private int digits;
        private boolean negative;
        private boolean afterCr;
        private boolean malformed;

        /** The index of the line's LF, or -1 if it is not within [from, end) and the header limit. */
        int parse(ByteBuf in, int from, int end) {
            value = 0;
            digits = 0;
            negative = false;
            afterCr = false;
            malformed = false;
            int length = Math.min(end - from, MAX_HEADER_LINE);
            return length <= 0 ? -1 : in.forEachByte(from, length, this);
        }

        /** The number read, or Long.MIN_VALUE if the line was malformed. */
        long value() {
            return malformed || !afterCr || digits == 0 ? Long.MIN_VALUE : negative ? -value : value;
        }

        @Override
        public boolean process(byte b) {
            if (b == '\n') {
                return false;
            }
            if (afterCr) {
                malformed = true;
            } else if (b == '\r') {
                afterCr = true;
            } else if (b == '-' && digits == 0 && !negative) {
                negative = true;
            } else if (b >= '0' && b <= '9' && digits < 18) {
                value = value * 10 + (b - '0');
                digits++;
            } else {
                malformed = true;
            }
            return true;
        }
    }

    private static String printable(byte b) {
        return b >= 0x20 && b < 0x7f ? String.valueOf((char) b) : String.format("\\x%02x", b & 0xff);
    }
}
