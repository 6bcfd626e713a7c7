package dev.pbkv.tester.load;

import dev.pbkv.client.PbkvAsyncClient;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;

/** One request of the workload on the asynchronous client, for the drivers that do not block. */
final class OneRequest {
    private OneRequest() {}

    /**
     * Sends the workload's next request and records its outcome, latency counted from
     * startNanos; the future completes (never exceptionally) once it is recorded, on the thread
     * that completed the call.
     */
    static CompletableFuture<Void> issue(
            PbkvAsyncClient client, Workload workload, LatencyStats stats, long startNanos) {
        boolean read = workload.nextIsRead();
        CompletableFuture<?> call =
                read ? client.get(workload.randomKey()) : client.put(workload.randomKey(), workload.value());
        return call.handle((value, error) -> {
            if (error != null) {
                stats.recordError(error);
            } else if (read) {
                stats.recordRead(startNanos, ((Optional<?>) value).isPresent());
            } else {
                stats.recordWrite(startNanos);
            }
            return null;
        });
    }
}
