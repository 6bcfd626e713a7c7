package dev.pbkv.server.net;

import java.io.IOException;

/**
 * A client-facing front end (gRPC, RESP, HTTP): it translates its protocol to calls of the
 * command layer and back, and owns its listening socket and threads.
 */
public interface Door extends AutoCloseable {
    /** A short name for logs: "grpc", "resp", "http". */
    String name();

    /** Binds and starts serving. A configured port of 0 picks a free one; see {@link #port()}. */
    void start() throws IOException;

    /** The bound port, after {@link #start()}. */
    int port();

    /** Stops taking connections, lets requests in flight finish for a short grace, then closes. */
    @Override
    void close();
}
