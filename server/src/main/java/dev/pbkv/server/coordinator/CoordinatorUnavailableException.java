package dev.pbkv.server.coordinator;

/** The coordinator could not be reached or read; nothing was decided. */
public final class CoordinatorUnavailableException extends Exception {
    public CoordinatorUnavailableException(String message) {
        super(message);
    }

    public CoordinatorUnavailableException(String message, Throwable cause) {
        super(message, cause);
    }
}
