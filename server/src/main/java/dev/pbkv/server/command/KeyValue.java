package dev.pbkv.server.command;

/** One entry, as scans and dumps return it. */
public record KeyValue(byte[] key, byte[] value) {}
