package dev.pbkv.tester.config;

/**
 * One node the tester drives: its addresses and the shell commands that start, stop, kill and
 * wipe it. The commands run with {@code bash -c} in the test's working directory, so another
 * project's scripts can be named instead of pbkv's.
 *
 * @param grpc host:port of the gRPC API
 * @param http base URL of the HTTP contract, e.g. http://127.0.0.1:8001
 */
public record ServerConfig(
        String name,
        String grpc,
        String http,
        String start,
        String stop,
        String kill,
        String clean,
        String pause,
        String resume) {

    /** A server with the default pause and resume commands. */
    public ServerConfig(String name, String grpc, String http, String start, String stop, String kill, String clean) {
        this(name, grpc, http, start, stop, kill, clean, defaultPause(name), defaultResume(name));
    }

    /**
     * SIGSTOP to the PID in data/NAME/pbkv.pid, returning once every thread has stopped: a bare
     * {@code kill -STOP} returns before that, and a request sent at once may still be answered.
     */
    static String defaultPause(String name) {
        return "bin/lib/pause-pid.sh data/" + name + "/pbkv.pid";
    }

    /** SIGCONT to the same PID (the kernel wakes every thread while it sends it). */
    static String defaultResume(String name) {
        return "kill -CONT $(cat data/" + name + "/pbkv.pid)";
    }
}
