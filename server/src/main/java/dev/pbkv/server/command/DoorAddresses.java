package dev.pbkv.server.command;

/** The bound client-facing addresses (host:port) of a node's doors; null for a door that is not running. */
public record DoorAddresses(String grpc, String resp, String http) {
    public static final DoorAddresses NONE = new DoorAddresses(null, null, null);
}
