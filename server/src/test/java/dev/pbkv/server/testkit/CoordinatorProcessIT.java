package dev.pbkv.server.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.pbkv.testkit.CoordinatorProcess;
import dev.pbkv.testkit.PidFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.CuratorFrameworkFactory;
import org.apache.curator.retry.RetryOneTime;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The embedded coordinator in its own JVM through the test kit's {@link CoordinatorProcess}: a
 * real ZooKeeper that keeps its data across a stop and a kill -9, allows the short sessions the
 * nodes ask for, answers only the four-letter words it should, and guards its data directory.
 */
class CoordinatorProcessIT {
    @TempDir
    Path dir;

    private static CuratorFramework client(CoordinatorProcess zk, int sessionTimeoutMs) throws InterruptedException {
        CuratorFramework c = CuratorFrameworkFactory.builder()
                .connectString(zk.connectString())
                .sessionTimeoutMs(sessionTimeoutMs)
                .connectionTimeoutMs(10_000)
                .retryPolicy(new RetryOneTime(200))
                .build();
        c.start();
        assertThat(c.blockUntilConnected(30, TimeUnit.SECONDS))
                .as("connected to " + zk.connectString())
                .isTrue();
        return c;
    }

    @Test
    void aZnodeSurvivesARestartAndAKill9() throws Exception {
        try (CoordinatorProcess zk =
                CoordinatorProcess.in(dir.resolve("coordinator")).start()) {
            assertThat(PidFile.read(zk.dataDir())).contains(zk.pid());
            // start() returns once ZooKeeper answers srvr; the line is logged just after the server's
            // start returns, so it may come a moment later (seen on CI-like runs).
            await().atMost(Duration.ofSeconds(10))
                    .untilAsserted(
                            () -> assertThat(zk.logTail(200)).contains("coordinator serving on " + zk.connectString()));
            try (CuratorFramework c = client(zk, 1000)) {
                c.create().creatingParentsIfNeeded().forPath("/pbkv/it/state", bytes("epoch 1"));
                // tickTime 500 ms: the one-second sessions the nodes may ask for are granted as asked.
                assertThat(c.getZookeeperClient().getZooKeeper().getSessionTimeout())
                        .isEqualTo(1000);
            }

            long before = zk.pid();
            assertThat(zk.restart().pid()).isNotEqualTo(before);
            try (CuratorFramework c = client(zk, 3000)) {
                assertThat(c.getData().forPath("/pbkv/it/state")).isEqualTo(bytes("epoch 1"));
                c.setData().forPath("/pbkv/it/state", bytes("epoch 2"));
            }

            // kill -9 right after an acknowledged write: ZooKeeper syncs its log before it answers.
            zk.kill9();
            assertThat(zk.isAlive()).isFalse();
            assertThat(zk.isServing()).isFalse();
            zk.start();
            try (CuratorFramework c = client(zk, 3000)) {
                assertThat(c.getData().forPath("/pbkv/it/state")).isEqualTo(bytes("epoch 2"));
            }

            assertThat(zk.stop()).as("exit code of a SIGTERM stop").isZero();
            assertThat(PidFile.in(zk.dataDir())).doesNotExist();
            assertThat(zk.logTail(5)).contains("coordinator stopped");
        }
    }

    @Test
    void onlyRuokAndSrvrAreAnswered() {
        try (CoordinatorProcess zk =
                CoordinatorProcess.in(dir.resolve("coordinator")).start()) {
            assertThat(zk.fourLetterWord("ruok")).isEqualTo("imok");
            assertThat(zk.fourLetterWord("srvr")).contains("Mode: standalone");
            assertThat(zk.fourLetterWord("conf")).contains("not in the whitelist");
            assertThat(zk.fourLetterWord("dump")).contains("not in the whitelist");
            // No admin server (Jetty is not even on the classpath) and loopback only.
            assertThat(zk.logTail(400)).contains("binding to port /127.0.0.1:" + zk.port());
        }
    }

    @Test
    void aSecondCoordinatorInTheSameDataDirectoryIsNotLaunched() {
        Path data = dir.resolve("coordinator");
        try (CoordinatorProcess first = CoordinatorProcess.in(data).start();
                CoordinatorProcess second = CoordinatorProcess.in(data).build()) {
            assertThatThrownBy(second::start).hasMessageContaining("already running in " + data);
            assertThat(PidFile.read(data)).contains(first.pid());
            assertThat(first.isServing()).isTrue();
        }
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }
}
