package dev.pbkv.server.metrics;

import io.micrometer.core.instrument.Timer;
import java.util.concurrent.TimeUnit;

/**
 * Counts and times one command on one door (see {@link NodeMetrics#requestMeter}). Doors keep
 * their meters and call {@link #record} once per answered request; it is cheap and thread-safe.
 */
public final class RequestMeter {

    /** A meter that records nothing, for doors built without metrics (tests). */
    public static final RequestMeter NONE = new RequestMeter(null, null);

    private final Timer succeeded;
    private final Timer failed;

    RequestMeter(Timer succeeded, Timer failed) {
        this.succeeded = succeeded;
        this.failed = failed;
    }

    /** Records a request that started at startNanos (System.nanoTime()) and ends now. */
    public void record(long startNanos, boolean success) {
        Timer timer = success ? succeeded : failed;
        if (timer != null) {
            timer.record(System.nanoTime() - startNanos, TimeUnit.NANOSECONDS);
        }
    }
}
