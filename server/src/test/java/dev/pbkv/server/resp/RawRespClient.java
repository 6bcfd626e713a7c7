package dev.pbkv.server.resp;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;

/** A plain socket to a RESP port, for what real clients never send: inline lines and bad frames. */
public final class RawRespClient implements AutoCloseable {

    private final Socket socket;
    private final InputStream in;
    private final OutputStream out;

    public RawRespClient(int port) throws IOException {
        socket = new Socket("127.0.0.1", port);
        socket.setSoTimeout(5000);
        in = socket.getInputStream();
        out = socket.getOutputStream();
    }

    public RawRespClient send(String text) throws IOException {
        return send(text.getBytes(StandardCharsets.UTF_8));
    }

    /**
     * Sends bytes. A server that refuses a frame may answer and close before the whole of it is
     * written; the write then fails, and what the server sent is still there for the reads that
     * follow, which is what the tests assert on.
     */
    public RawRespClient send(byte[] bytes) throws IOException {
        try {
            out.write(bytes);
            out.flush();
        } catch (SocketException closedByServer) {
            // see above
        }
        return this;
    }

    /** One reply line without its CRLF (the first line of a bulk reply is its length header). */
    public String readLine() throws IOException {
        ByteArrayOutputStream line = new ByteArrayOutputStream();
        int c;
        while ((c = in.read()) != -1) {
            if (c == '\n') {
                byte[] bytes = line.toByteArray();
                int length = bytes.length > 0 && bytes[bytes.length - 1] == '\r' ? bytes.length - 1 : bytes.length;
                return new String(bytes, 0, length, StandardCharsets.UTF_8);
            }
            line.write(c);
        }
        throw new IOException("connection closed after '" + line + "'");
    }

    /** One reply line, or null when the server closed the connection instead. */
    public String readLineOrNull() throws IOException {
        try {
            return readLine();
        } catch (SocketException e) {
            return null;
        } catch (IOException e) {
            if (e.getMessage() != null && e.getMessage().startsWith("connection closed")) {
                return null;
            }
            throw e;
        }
    }

    /** A bulk reply's value, or "(nil)". */
    public String readBulk() throws IOException {
        String header = readLine();
        if (header.equals("$-1")) {
            return "(nil)";
        }
        if (!header.startsWith("$")) {
            return header;
        }
        int length = Integer.parseInt(header.substring(1));
        byte[] value = in.readNBytes(length + 2);
        return new String(value, 0, length, StandardCharsets.UTF_8);
    }

    /** Whether the server closed the connection: reads reach end of stream (or a reset) within the timeout. */
    public boolean closedByServer() throws IOException {
        try {
            while (true) {
                if (in.read() == -1) {
                    return true;
                }
            }
        } catch (SocketTimeoutException e) {
            return false;
        } catch (SocketException e) {
            return true;
        }
    }

    @Override
    public void close() throws IOException {
        socket.close();
    }
}
