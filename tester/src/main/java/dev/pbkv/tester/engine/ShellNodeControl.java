package dev.pbkv.tester.engine;

import dev.pbkv.tester.config.ServerConfig;
import java.time.Duration;

/** Runs the start/stop/kill/clean commands of the test config with {@code bash -c}. */
public final class ShellNodeControl implements NodeControl {
    private final ProcessRunner runner;
    private final Duration timeout;

    public ShellNodeControl(ProcessRunner runner, Duration timeout) {
        this.runner = runner;
        this.timeout = timeout;
    }

    @Override
    public CommandOutcome run(ServerConfig server, Command command) {
        String line = switch (command) {
            case START -> server.start();
            case STOP -> server.stop();
            case KILL -> server.kill();
            case CLEAN -> server.clean();
            case PAUSE -> server.pause();
            case RESUME -> server.resume();
        };
        return runner.shell(line, timeout);
    }
}
