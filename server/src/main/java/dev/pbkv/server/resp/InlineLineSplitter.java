package dev.pbkv.server.resp;

import java.io.ByteArrayOutputStream;
import java.util.ArrayList;
import java.util.List;

/**
 * Splits an inline (telnet) command line into arguments the way redis-cli and Redis do
 * (sdssplitargs): spaces separate, "double quotes" take \n \r \t \b \a \\ \" and \xHH escapes,
 * 'single quotes' take \' only, and a closing quote must be followed by a space or the end.
 */
final class InlineLineSplitter {

    private InlineLineSplitter() {}

    /** The arguments of the line, or null when its quotes are unbalanced. */
    static List<byte[]> split(byte[] line, int length) {
        List<byte[]> args = new ArrayList<>();
        int i = 0;
        while (true) {
            while (i < length && isSpace(line[i])) {
                i++;
            }
            if (i >= length) {
                return args;
            }
            ByteArrayOutputStream current = new ByteArrayOutputStream();
            boolean inDouble = false;
            boolean inSingle = false;
            boolean done = false;
            while (!done) {
                if (inDouble) {
                    if (i >= length) {
                        return null;
                    }
                    byte c = line[i];
                    if (c == '\\'
                            && i + 3 < length
                            && line[i + 1] == 'x'
                            && hexValue(line[i + 2]) >= 0
                            && hexValue(line[i + 3]) >= 0) {
                        current.write(hexValue(line[i + 2]) * 16 + hexValue(line[i + 3]));
                        i += 3;
                    } else if (c == '\\' && i + 1 < length) {
                        i++;
                        current.write(
                                switch (line[i]) {
                                    case 'n' -> '\n';
                                    case 'r' -> '\r';
                                    case 't' -> '\t';
                                    case 'b' -> '\b';
                                    case 'a' -> 7;
                                    default -> line[i];
                                });
                    } else if (c == '"') {
                        if (i + 1 < length && !isSpace(line[i + 1])) {
                            return null;
                        }
                        done = true;
                    } else {
                        current.write(c);
                    }
                } else if (inSingle) {
                    if (i >= length) {
                        return null;
                    }
                    byte c = line[i];
                    if (c == '\\' && i + 1 < length && line[i + 1] == '\'') {
                        i++;
                        current.write('\'');
                    } else if (c == '\'') {
                        if (i + 1 < length && !isSpace(line[i + 1])) {
                            return null;
                        }
                        done = true;
                    } else {
                        current.write(c);
                    }
                } else {
                    if (i >= length || isSpace(line[i])) {
                        done = true;
                    } else if (line[i] == '"') {
                        inDouble = true;
                    } else if (line[i] == '\'') {
                        inSingle = true;
                    } else {
                        current.write(line[i]);
                    }
                }
                if (i < length) {
                    i++;
                }
            }
            args.add(current.toByteArray());
        }
    }

    private static boolean isSpace(byte c) {
        return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == 0x0b;
    }

    private static int hexValue(byte c) {
        if (c >= '0' && c <= '9') {
            return c - '0';
        }
        if (c >= 'a' && c <= 'f') {
            return c - 'a' + 10;
        }
        if (c >= 'A' && c <= 'F') {
            return c - 'A' + 10;
        }
        return -1;
    }
}
