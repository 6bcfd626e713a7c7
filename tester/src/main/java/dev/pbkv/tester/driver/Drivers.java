package dev.pbkv.tester.driver;

import dev.pbkv.tester.config.DriverKind;
import dev.pbkv.tester.config.ServerConfig;
import java.time.Duration;

/** Opens the driver a test config asks for. */
public final class Drivers {
    private Drivers() {}

    /**
     * A driver for {@code server} over {@code kind}, or an explanation of why there cannot be one.
     *
     * @throws IllegalArgumentException when the server has no address for that protocol
     */
    public static Driver open(DriverKind kind, ServerConfig server, Duration deadline) {
        return open(kind, server, deadline, "raise timeouts.request_ms in the test config");
    }

    /** As above; {@code timeoutHint} ends every timeout message (which setting to raise). */
    public static Driver open(DriverKind kind, ServerConfig server, Duration deadline, String timeoutHint) {
        return open(kind, server, deadline, timeoutHint, NodeConnector.PLAINTEXT);
    }

    /** As above, over {@code connector}'s TLS and with its credentials (the test config's auth and tls). */
    public static Driver open(
            DriverKind kind, ServerConfig server, Duration deadline, String timeoutHint, NodeConnector connector) {
        return switch (kind) {
            case GRPC -> {
                if (server.grpc() == null) {
                    throw new IllegalArgumentException("servers." + server.name() + ".grpc is not set");
                }
                yield new GrpcDriver(server.grpc(), deadline, connector);
            }
            case HTTP -> {
                if (server.http() == null) {
                    throw new IllegalArgumentException("servers." + server.name() + ".http is not set");
                }
                yield new HttpDriver(server.http(), deadline, timeoutHint, connector);
            }
        };
    }
}
