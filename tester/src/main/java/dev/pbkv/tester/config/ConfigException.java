package dev.pbkv.tester.config;

/** A test config (conf/pbkv-test.conf) that cannot be used; the message names the file and the key. */
public final class ConfigException extends Exception {
    public ConfigException(String message) {
        super(message, null, false, false);
    }
}
