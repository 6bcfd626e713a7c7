package dev.pbkv.tester.robustness;

import java.nio.file.Path;
import java.util.List;

/**
 * One robustness run's parameters (bin/test --robustness; docs/tester.md).
 *
 * @param scenario         which faults
 * @param seconds          how long clients run with faults (0: until {@code faults} are done)
 * @param faults           stop after this many faults (0: as many as fit in {@code seconds})
 * @param seed             seeds the clients' operations and the nemesis's choices
 * @param clients          concurrent recording clients
 * @param keys             shared register keys
 * @param dir              where the nodes' data, logs and history.jsonl go
 * @param classpath        the nodes' classpath (server/target/pbkv-server.jar), or null for this JVM's
 * @param holdMinMillis    shortest time a fault is held
 * @param holdMaxMillis    longest time a fault is held
 * @param quietMillis      mean time between a recovery and the next fault
 * @param opTimeoutMillis  a client's deadline per operation (then its outcome is unknown)
 * @param sessionTimeoutMs the nodes' coordinator session timeout (with a coordinator)
 * @param recoverySeconds  how long the pair may take to be healthy again after a heal
 * @param nodeArgs         extra flags for both nodes
 */
public record RobustnessOptions(
        Scenario scenario,
        long seconds,
        int faults,
        long seed,
        int clients,
        int keys,
        Path dir,
        String classpath,
        long holdMinMillis,
        long holdMaxMillis,
        long quietMillis,
        long opTimeoutMillis,
        long sessionTimeoutMs,
        long recoverySeconds,
        List<String> nodeArgs) {

    public RobustnessOptions {
        if (clients < 1 || keys < 1) {
            throw new IllegalArgumentException("--clients and --keys must be >= 1");
        }
        nodeArgs = List.copyOf(nodeArgs);
    }

    /** Defaults for a scenario: 30 s, 4 clients, 8 keys, faults held 1-3 s, 1.5 s session timeout. */
    public static RobustnessOptions defaults(Scenario scenario, Path dir) {
        return new RobustnessOptions(scenario, 30, 0, 1, 4, 8, dir, null, 1000, 3000, 1000, 1000, 1500, 60, List.of());
    }

    public RobustnessOptions withSeconds(long s) {
        return new RobustnessOptions(
                scenario,
                s,
                faults,
                seed,
                clients,
                keys,
                dir,
                classpath,
                holdMinMillis,
                holdMaxMillis,
                quietMillis,
                opTimeoutMillis,
                sessionTimeoutMs,
                recoverySeconds,
                nodeArgs);
    }

    public RobustnessOptions withFaults(int n) {
        return new RobustnessOptions(
                scenario,
                seconds,
                n,
                seed,
                clients,
                keys,
                dir,
                classpath,
                holdMinMillis,
                holdMaxMillis,
                quietMillis,
                opTimeoutMillis,
                sessionTimeoutMs,
                recoverySeconds,
                nodeArgs);
    }

    public RobustnessOptions withHold(long minMillis, long maxMillis) {
        return new RobustnessOptions(
                scenario,
                seconds,
                faults,
                seed,
                clients,
                keys,
                dir,
                classpath,
                minMillis,
                maxMillis,
                quietMillis,
                opTimeoutMillis,
                sessionTimeoutMs,
                recoverySeconds,
                nodeArgs);
    }

    public RobustnessOptions withClasspath(String cp) {
        return new RobustnessOptions(
                scenario,
                seconds,
                faults,
                seed,
                clients,
                keys,
                dir,
                cp,
                holdMinMillis,
                holdMaxMillis,
                quietMillis,
                opTimeoutMillis,
                sessionTimeoutMs,
                recoverySeconds,
                nodeArgs);
    }

    public RobustnessOptions withLoad(long seed, int clients, int keys) {
        return new RobustnessOptions(
                scenario,
                seconds,
                faults,
                seed,
                clients,
                keys,
                dir,
                classpath,
                holdMinMillis,
                holdMaxMillis,
                quietMillis,
                opTimeoutMillis,
                sessionTimeoutMs,
                recoverySeconds,
                nodeArgs);
    }

    public RobustnessOptions withTimings(long quietMillis, long opTimeoutMillis, long sessionTimeoutMs) {
        return new RobustnessOptions(
                scenario,
                seconds,
                faults,
                seed,
                clients,
                keys,
                dir,
                classpath,
                holdMinMillis,
                holdMaxMillis,
                quietMillis,
                opTimeoutMillis,
                sessionTimeoutMs,
                recoverySeconds,
                nodeArgs);
    }

    public RobustnessOptions withNodeArgs(List<String> args) {
        return new RobustnessOptions(
                scenario,
                seconds,
                faults,
                seed,
                clients,
                keys,
                dir,
                classpath,
                holdMinMillis,
                holdMaxMillis,
                quietMillis,
                opTimeoutMillis,
                sessionTimeoutMs,
                recoverySeconds,
                args);
    }
}
