package dev.pbkv.server.command.watch;

/**
 * What a change did to its key, as a watcher sees it. The names are the Redis keyspace
 * notification events ({@code __keyspace@0__:<key>} carries the name as its message), and the gRPC
 * WatchEventType has one value per kind.
 */
public enum ChangeKind {
    /** The key was written (put, insert, update): the change carries the new value. */
    SET("set"),
    /** The key was deleted by a client. */
    DEL("del"),
    /** The key was deleted because its deadline passed (the expiry records). */
    EXPIRED("expired");

    private final String eventName;

    ChangeKind(String eventName) {
        this.eventName = eventName;
    }

    /** The Redis keyspace event name: set, del, expired. */
    public String eventName() {
        return eventName;
    }
}
