package dev.pbkv.tester.config;

import java.time.Duration;

/**
 * How long the tester waits.
 *
 * @param request deadline of one operation (10 s by default: some servers take seconds to answer)
 * @param start how long a started node may take to answer
 * @param stop how long a stopped or killed node may take to stop answering
 * @param waitFor default timeout of {@code wait} and {@code consistent}
 * @param command how long a start/stop/kill/clean command or a {@code run} program may take
 */
public record Timeouts(Duration request, Duration start, Duration stop, Duration waitFor, Duration command) {

    public static Timeouts defaults() {
        return new Timeouts(
                Duration.ofSeconds(10),
                Duration.ofSeconds(60),
                Duration.ofSeconds(30),
                Duration.ofSeconds(20),
                Duration.ofSeconds(120));
    }
}
