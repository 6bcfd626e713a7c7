package dev.pbkv.tester.config;

/** The protocol the tester speaks to the nodes. */
public enum DriverKind {
    /** pbkv's gRPC API (KeyValue and Admin services). */
    GRPC,
    /** The cross-team HTTP contract (/kv/..., /kvman/...). */
    HTTP
}
