package dev.pbkv.tester.engine;

import dev.pbkv.tester.config.ServerConfig;

/** Starts, stops, kills and wipes a node: by default the shell commands of the test config. */
public interface NodeControl {

    /** What is done to a node. */
    enum Command {
        START,
        STOP,
        KILL,
        CLEAN,
        PAUSE,
        RESUME
    }

    CommandOutcome run(ServerConfig server, Command command);
}
