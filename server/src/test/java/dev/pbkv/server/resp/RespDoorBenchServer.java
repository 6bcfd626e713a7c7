package dev.pbkv.server.resp;

import java.util.concurrent.CountDownLatch;

/**
 * Runs a RespDoor over the in-memory command layer, to measure the door alone with
 * redis-benchmark (docs/resp.md, "Performance"). Not a test. Arguments: port [ioThreads].
 * Stops on SIGTERM.
 */
public final class RespDoorBenchServer {

    private RespDoorBenchServer() {}

    public static void main(String[] args) throws Exception {
        int port = Integer.parseInt(args[0]);
        int ioThreads = args.length > 1 ? Integer.parseInt(args[1]) : 0;
        InMemoryCommands commands = new InMemoryCommands();
        RespDoor door = new RespDoor(
                commands,
                new RespSettings(
                        "127.0.0.1",
                        port,
                        RespSettings.DEFAULT_MAX_BULK_BYTES,
                        RespSettings.DEFAULT_MAX_ARGS,
                        RespSettings.DEFAULT_MAX_INLINE_BYTES,
                        ioThreads));
        door.start();
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime()
                .addShutdownHook(new Thread(
                        () -> {
                            door.close();
                            commands.close();
                            stopped.countDown();
                        },
                        "bench-server-stop"));
        System.out.println("resp door on port " + door.port());
        stopped.await();
    }
}
