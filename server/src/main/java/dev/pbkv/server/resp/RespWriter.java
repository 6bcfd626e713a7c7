package dev.pbkv.server.resp;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import java.nio.charset.StandardCharsets;

/** Writes RESP2 replies into a buffer. Stateless; the handler owns the buffer. */
final class RespWriter {

    private static final byte[] CRLF = {'\r', '\n'};
    private static final byte[] OK = "+OK\r\n".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] NIL = "$-1\r\n".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] ZERO = ":0\r\n".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] ONE = ":1\r\n".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] EMPTY_ARRAY = "*0\r\n".getBytes(StandardCharsets.US_ASCII);

    private RespWriter() {}

    static void ok(ByteBuf out) {
        out.writeBytes(OK);
    }

    static void nil(ByteBuf out) {
        out.writeBytes(NIL);
    }

    static void emptyArray(ByteBuf out) {
        out.writeBytes(EMPTY_ARRAY);
    }

    static void simple(ByteBuf out, String text) {
        out.writeByte('+');
        ByteBufUtil.writeAscii(out, oneLine(text));
        out.writeBytes(CRLF);
    }

    /** An error reply; message starts with its code, e.g. "ERR syntax error". */
    static void error(ByteBuf out, String message) {
        out.writeByte('-');
        ByteBufUtil.writeUtf8(out, oneLine(message));
        out.writeBytes(CRLF);
    }

    static void integer(ByteBuf out, long value) {
        if (value == 0) {
            out.writeBytes(ZERO);
        } else if (value == 1) {
            out.writeBytes(ONE);
        } else {
            out.writeByte(':');
            writeDecimal(out, value);
            out.writeBytes(CRLF);
        }
    }

    static void bulk(ByteBuf out, byte[] value) {
        if (value == null) {
            nil(out);
            return;
        }
        out.writeByte('$');
        writeDecimal(out, value.length);
        out.writeBytes(CRLF);
        out.writeBytes(value);
        out.writeBytes(CRLF);
    }

    static void bulk(ByteBuf out, String value) {
        bulk(out, value == null ? null : value.getBytes(StandardCharsets.UTF_8));
    }

    static void arrayHeader(ByteBuf out, int count) {
        out.writeByte('*');
        writeDecimal(out, count);
        out.writeBytes(CRLF);
    }

    private static void writeDecimal(ByteBuf out, long value) {
        if (value < 0) {
            if (value == Long.MIN_VALUE) {
                ByteBufUtil.writeAscii(out, Long.toString(value));
                return;
            }
            out.writeByte('-');
            value = -value;
        }
        if (value < 10) {
            out.writeByte((int) ('0' + value));
            return;
        }
        int digits = 0;
        for (long v = value; v > 0; v /= 10) {
            digits++;
        }
        int at = out.writerIndex() + digits;
        out.ensureWritable(digits);
        for (long v = value; v > 0; v /= 10) {
            out.setByte(--at, (int) ('0' + v % 10));
        }
        out.writerIndex(out.writerIndex() + digits);
    }

    /** Error and status lines may not contain CR or LF: they would break the framing. */
    private static String oneLine(String text) {
        return text.indexOf('\r') < 0 && text.indexOf('\n') < 0
                ? text
                : text.replace('\r', ' ').replace('\n', ' ');
    }
}
