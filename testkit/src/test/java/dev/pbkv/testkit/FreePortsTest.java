package dev.pbkv.testkit;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

class FreePortsTest {
    @Test
    void portsOutsideTheEphemeralRangeAreDistinctBindableAndBelowIt() throws IOException {
        int low = Integer.parseInt(Files.readAllLines(Path.of("/proc/sys/net/ipv4/ip_local_port_range"))
                .get(0)
                .trim()
                .split("\\s+")[0]);
        int[] ports = FreePorts.takeOutsideEphemeralRange(3);
        assertThat(ports).hasSize(3).doesNotHaveDuplicates();
        for (int p : ports) {
            assertThat(p).isBetween(10_000, low - 1);
            try (ServerSocket s = new ServerSocket()) {
                s.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), p));
            }
        }
    }
}
