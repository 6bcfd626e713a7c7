package dev.pbkv.tester.robustness;

import java.nio.file.Path;

/**
 * Makes the coordinator of a run. "off": none ({@link Coordinator#NONE}, the nodes run with
 * {@code coordinator.connect = off}). "embedded": the project's embedded ZooKeeper process on a
 * free port with its data under the run's directory. "in-process": a standalone ZooKeeper inside
 * the tester's JVM ({@link InProcessCoordinator}). "auto": embedded when this build has it, else
 * in-process.
 */
public final class Coordinators {
    private Coordinators() {}

    /** Whether this build can start the embedded coordinator process (dev.pbkv.testkit.CoordinatorProcess). */
    public static boolean embeddedAvailable() {
        return true;
    }

    /** Whether a run can have a coordinator at all (the in-process one always can). */
    public static boolean anyAvailable() {
        return true;
    }

    public static Coordinator create(String mode, Path dir, String classpath) {
        return switch (mode) {
            case "off" -> Coordinator.NONE;
            case "auto" -> embeddedAvailable() ? embedded(dir, classpath) : new InProcessCoordinator(dir);
            case "embedded" -> embedded(dir, classpath);
            case "in-process" -> new InProcessCoordinator(dir);
            default ->
                throw new IllegalArgumentException(
                        "--coordinator: expected auto, off, embedded or in-process, found " + mode);
        };
    }

    static Coordinator embedded(Path dir, String classpath) {
        return new EmbeddedCoordinator(dir, classpath);
    }
}
