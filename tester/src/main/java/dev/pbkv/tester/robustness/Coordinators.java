package dev.pbkv.tester.robustness;

import java.nio.file.Path;

/**
 * Makes the coordinator of a run. "off": none ({@link Coordinator#NONE}, the nodes run with
 * {@code coordinator.connect = off}). "embedded": the project's embedded ZooKeeper process on a
 * free port with its data under the run's directory. "auto": embedded when this build has it.
 */
public final class Coordinators {
    private Coordinators() {}

    /** Whether this build can start the embedded coordinator (dev.pbkv.testkit.CoordinatorProcess). */
    public static boolean embeddedAvailable() {
        return false; // TODO(issue 10): true once dev.pbkv.testkit.CoordinatorProcess is merged
    }

    public static Coordinator create(String mode, Path dir, String classpath) {
        return switch (mode) {
            case "off" -> Coordinator.NONE;
            case "auto" -> embeddedAvailable() ? embedded(dir, classpath) : Coordinator.NONE;
            case "embedded" -> embedded(dir, classpath);
            default ->
                throw new IllegalArgumentException("--coordinator: expected auto, off or embedded, found " + mode);
        };
    }

    static Coordinator embedded(Path dir, String classpath) {
        throw new IllegalArgumentException(
                "the embedded coordinator (dev.pbkv.testkit.CoordinatorProcess) is not in this build yet; use --coordinator off");
    }
}
