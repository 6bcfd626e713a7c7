package dev.pbkv.server.command;

/**
 * The answer of the command layer to a door: a value, or a failure a client must handle.
 * Failures are values, not exceptions, because every door translates them.
 */
public sealed interface Reply<T> {

    record Success<T>(T value) implements Reply<T> {}

    /**
     * @param code           why
     * @param message        a sentence for a person
     * @param primaryAddress the primary's gRPC address (host:port) when the code is UNAVAILABLE
     *                       and the primary is known, else null
     */
    record Failure<T>(ErrorCode code, String message, String primaryAddress) implements Reply<T> {
        public Failure(ErrorCode code, String message) {
            this(code, message, null);
        }
    }

    static <T> Reply<T> success(T value) {
        return new Success<>(value);
    }

    static <T> Reply<T> failure(ErrorCode code, String message) {
        return new Failure<>(code, message, null);
    }

    default boolean isSuccess() {
        return this instanceof Success;
    }
}
