package dev.pbkv.server.grpc;

import dev.pbkv.proto.ScanResponse;
import dev.pbkv.server.command.KeyValue;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.ServerCallStreamObserver;
import java.util.List;

/**
 * Sends a Scan's entries as pages of about {@link KeyValueService#SCAN_PAGE_BYTES}, only while
 * the call is ready (the client's flow-control window has room), resuming from the call's
 * onReady: a slow reader makes the node hold the scan's result, never its encoded pages too.
 * An empty result is one empty page.
 *
 * <p>Threads: {@link #send} (the scan's completion) and onReady (the call's serial executor) may
 * race; this monitor guards the position and is held only while handing pages to gRPC, which
 * queues them without blocking, never by an event loop waiting on another thread.
 */
final class ScanPageSender {
    private final ServerCallStreamObserver<ScanResponse> call;
    /** The entries to send, or null until the scan answered; guarded by this. */
    private List<KeyValue> entries;
    /** Index of the next entry to send; guarded by this. */
    private int next;
    /** Whether onCompleted was sent (or the call is dead); guarded by this. */
    private boolean finished;

    /** Registers for onReady: call from the service method, before it returns. */
    ScanPageSender(ServerCallStreamObserver<ScanResponse> call) {
        this.call = call;
        call.setOnReadyHandler(this::drain);
    }

    /** Starts sending the scan's result. */
    void send(List<KeyValue> result) {
        synchronized (this) {
            entries = result;
        }
        drain();
    }

    private synchronized void drain() {
        if (entries == null || finished) {
            return;
        }
        try {
            if (entries.isEmpty()) {
                call.onNext(ScanResponse.getDefaultInstance());
            }
            while (call.isReady() && next < entries.size()) {
                ScanResponse.Builder page = ScanResponse.newBuilder();
                long bytes = 0;
                while (next < entries.size() && bytes < KeyValueService.SCAN_PAGE_BYTES) {
                    KeyValue kv = entries.get(next++);
                    page.addEntries(KeyValueService.entryOf(kv));
                    bytes += kv.key().length + kv.value().length;
                }
                call.onNext(page.build());
            }
            if (next >= entries.size()) {
                finished = true;
                call.onCompleted(); // trailers need no window
            }
        } catch (IllegalStateException | StatusRuntimeException cancelled) {
            finished = true; // cancelled by the client: nothing more to send
        }
    }
}
