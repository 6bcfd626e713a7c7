package dev.pbkv.server.tls;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.security.cert.X509Certificate;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLServerSocket;
import javax.net.ssl.SSLSocket;

/**
 * One TLS handshake on 127.0.0.1: a JDK server socket on a free port and a client that verifies
 * the server's name as HTTPS does (the address it dialled must be in the certificate).
 */
final class LoopbackTls {
    private LoopbackTls() {}

    /**
     * Connects a client with {@code client} to a server with {@code server}, exchanges one byte and
     * returns the certificate the server presented; throws what the client's handshake threw.
     */
    static X509Certificate handshake(SSLContext server, SSLContext client, boolean needClientAuth) throws Exception {
        InetAddress loopback = InetAddress.getByName("127.0.0.1");
        ExecutorService serverThread = Executors.newSingleThreadExecutor(r -> new Thread(r, "tls-test-server"));
        try (SSLServerSocket listener =
                (SSLServerSocket) server.getServerSocketFactory().createServerSocket(0, 1, loopback)) {
            listener.setNeedClientAuth(needClientAuth);
            listener.setSoTimeout(10_000);
            Future<?> served = serverThread.submit(() -> {
                try (SSLSocket accepted = (SSLSocket) listener.accept()) {
                    accepted.setSoTimeout(10_000);
                    accepted.startHandshake();
                    accepted.getOutputStream().write(42);
                    accepted.getOutputStream().flush();
                }
                return null;
            });
            X509Certificate presented;
            try (SSLSocket socket =
                    (SSLSocket) client.getSocketFactory().createSocket("127.0.0.1", listener.getLocalPort())) {
                socket.setSoTimeout(10_000);
                SSLParameters parameters = socket.getSSLParameters();
                parameters.setEndpointIdentificationAlgorithm("HTTPS");
                socket.setSSLParameters(parameters);
                socket.startHandshake();
                InputStream in = socket.getInputStream();
                if (in.read() != 42) {
                    throw new IOException("the server's byte did not arrive");
                }
                presented = (X509Certificate) socket.getSession().getPeerCertificates()[0];
            }
            // After the client's close: a TLS 1.3 server's close waits for the client's close_notify.
            served.get(10, TimeUnit.SECONDS);
            return presented;
        } finally {
            serverThread.shutdownNow();
            serverThread.awaitTermination(10, TimeUnit.SECONDS);
        }
    }
}
