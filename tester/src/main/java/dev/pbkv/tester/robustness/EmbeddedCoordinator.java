package dev.pbkv.tester.robustness;

import dev.pbkv.testkit.CoordinatorProcess;
import dev.pbkv.testkit.FreePorts;
import java.nio.file.Path;

/**
 * The project's embedded coordinator as its own process ({@link CoordinatorProcess}): a kill -9
 * here is a real one. Its port lies outside the ephemeral range, so no outgoing connection takes
 * it while it is down.
 */
final class EmbeddedCoordinator implements Coordinator {
    private final CoordinatorProcess process;

    EmbeddedCoordinator(Path dir, String classpath) {
        CoordinatorProcess.Builder b =
                CoordinatorProcess.in(dir.resolve("coordinator")).port(FreePorts.takeOutsideEphemeralRange(1)[0]);
        if (classpath != null) {
            b.classpath(classpath);
        }
        this.process = b.build();
    }

    @Override
    public boolean available() {
        return true;
    }

    @Override
    public String address() {
        return process.connectString();
    }

    @Override
    public void start() {
        process.start();
    }

    @Override
    public void stop() {
        process.stop();
    }

    @Override
    public void kill9() {
        process.kill9();
    }

    @Override
    public void restart() {
        process.restart(); // stops it first if it still runs
    }

    @Override
    public void close() {
        process.close();
    }
}
