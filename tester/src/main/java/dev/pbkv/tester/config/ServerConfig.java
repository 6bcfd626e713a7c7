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

    /** A server with the default pause and resume commands (SIGSTOP/SIGCONT to data/NAME/pbkv.pid). */
    public ServerConfig(String name, String grpc, String http, String start, String stop, String kill, String clean) {
        this(
                name,
                grpc,
                http,
                start,
                stop,
                kill,
                clean,
                "kill -STOP $(cat data/" + name + "/pbkv.pid)",
                "kill -CONT $(cat data/" + name + "/pbkv.pid)");
    }
}
