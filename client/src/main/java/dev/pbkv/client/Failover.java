package dev.pbkv.client;

import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.util.LinkedHashSet;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The retry and failover rules shared by the blocking and the async client.
 *
 * <ul>
 *   <li>A call goes first to the node the client believes is primary.
 *   <li>UNAVAILABLE, a connection failure, or an attempt that ran out of its per-call deadline
 *       is retried until the retry deadline. Anything else is the caller's answer or a
 *       {@link PbkvException}.
 *   <li>When the refusal carries the trailer {@code pbkv-primary}, the next attempt goes to that
 *       node, at once the first time, with backoff if the hints keep bouncing.
 *   <li>Without a hint, the next attempt goes to the next node: at once while not every node has
 *       been tried, then after an exponential backoff with jitter.
 *   <li>The node that answers becomes the client's primary guess for the next calls (unless
 *       the call was a stale read, which a backup answers too).
 * </ul>
 */
final class Failover {

    /** The trailer a node sets on UNAVAILABLE: the primary's gRPC address, host:port. */
    static final Metadata.Key<String> PRIMARY_TRAILER =
            Metadata.Key.of("pbkv-primary", Metadata.ASCII_STRING_MARSHALLER);

    private static final Logger log = LoggerFactory.getLogger(Failover.class);

    private final NodeChannels nodes;
    private final ClientOptions options;

    Failover(NodeChannels nodes, ClientOptions options) {
        this.nodes = nodes;
        this.options = options;
    }

    /** The retry state of one logical call. Confined to one call; not shared between threads. */
    final class Attempts {
        private final long deadlineNanos;
        private final boolean answerNamesPrimary;
        private final Set<Endpoint> tried = new LinkedHashSet<>();
        private NodeChannels.Node node;
        private int failures;
        private int backoffs;
        private boolean lastHopFollowedHint;
        private String lastError = "";

        private Attempts(NodeChannels.Node start, boolean answerNamesPrimary) {
            this.deadlineNanos = System.nanoTime() + options.retryDeadline().toNanos();
            this.answerNamesPrimary = answerNamesPrimary;
            this.node = start;
        }

        /** The node the next attempt goes to. */
        NodeChannels.Node node() {
            return node;
        }

        /** The deadline of the next attempt: the per-call timeout, cut to what is left. */
        long attemptTimeoutNanos() {
            long left = deadlineNanos - System.nanoTime();
            return Math.max(1, Math.min(options.callTimeout().toNanos(), left));
        }

        /** Whether a retry happened; the caller then wakes the channel before the attempt. */
        boolean isRetry() {
            return failures > 0;
        }

        /**
         * Records that the current node answered: it is the one to try first next time, unless the
         * answer was a stale read, which a backup gives too.
         */
        void succeeded() {
            if (answerNamesPrimary && nodes.primaryGuess() != node) {
                nodes.guessPrimary(node);
            }
        }

        /**
         * Decides what follows a failed attempt: returns the delay in nanoseconds before the next
         * attempt (which goes to {@link #node()}), or throws the exception the call ends with.
         */
        long onFailure(Throwable failure) {
            if (!(failure instanceof StatusRuntimeException sre)) {
                throw new PbkvException(
                        Status.Code.UNKNOWN, "pbkv call to " + node.endpoint() + " failed: " + failure, failure);
            }
            Status status = sre.getStatus();
            if (!isRetryable(status)) {
                throw failed(node.endpoint(), sre);
            }
            if (nodes.isClosed()) {
                throw new PbkvException(Status.Code.CANCELLED, "the pbkv client is closed", sre);
            }
            failures++;
            tried.add(node.endpoint());
            lastError = node.endpoint() + " " + describe(status);
            NodeChannels.Node failed = node;
            long delay;
            NodeChannels.Node hinted = hintedNode(sre.getTrailers());
            if (hinted != null && hinted != failed && !lastHopFollowedHint) {
                node = hinted;
                lastHopFollowedHint = true;
                delay = 0;
            } else {
                node = hinted != null ? hinted : nodes.after(failed);
                lastHopFollowedHint = false;
                delay = failures < nodes.size() && hinted == null ? 0 : nextBackoffNanos();
            }
            if (answerNamesPrimary || hinted != null) {
                nodes.guessPrimary(node);
            }
            if (System.nanoTime() + delay >= deadlineNanos) {
                throw new PbkvUnavailableException(
                        "no pbkv node served the call within " + human(options.retryDeadline()) + " (tried " + tried
                                + "); last: " + lastError,
                        sre);
            }
            log.debug("retrying on {} in {} µs after {}", node.endpoint(), delay / 1000, lastError);
            return delay;
        }

        private long nextBackoffNanos() {
            // Exponential, capped, with "equal jitter": half the step fixed, half random, so clients
            // that failed together do not come back together.
            long cap = options.maxBackoff().toNanos();
            long step = options.initialBackoff().toNanos();
            for (int i = 0; i < backoffs && step < cap; i++) {
                step *= 2;
            }
            step = Math.min(step, cap);
            backoffs++;
            long half = step / 2;
            return half + ThreadLocalRandom.current().nextLong(half + 1);
        }
    }

    /** A call that only the primary answers (writes, and reads without allow_stale). */
    Attempts begin() {
        return new Attempts(nodes.primaryGuess(), true);
    }

    /** A call that a backup may answer too: its success says nothing about who is primary. */
    Attempts beginStaleRead() {
        return new Attempts(nodes.primaryGuess(), false);
    }

    private NodeChannels.Node hintedNode(Metadata trailers) {
        if (trailers == null) {
            return null;
        }
        String hint = trailers.get(PRIMARY_TRAILER);
        if (hint == null || hint.isBlank()) {
            return null;
        }
        try {
            return nodes.nodeFor(Endpoint.parse(hint));
        } catch (IllegalArgumentException e) {
            log.debug("ignoring malformed pbkv-primary trailer '{}'", hint);
            return null;
        }
    }

    private static boolean isRetryable(Status status) {
        return status.getCode() == Status.Code.UNAVAILABLE || status.getCode() == Status.Code.DEADLINE_EXCEEDED;
    }

    /** The exception for a non-retryable failure, with the node's own message. */
    static PbkvException failed(Endpoint endpoint, StatusRuntimeException sre) {
        return new PbkvException(sre.getStatus().getCode(), endpoint + " answered " + describe(sre.getStatus()), sre);
    }

    static String describe(Status status) {
        StringBuilder sb = new StringBuilder(status.getCode().name());
        if (status.getDescription() != null) {
            sb.append(": ").append(status.getDescription());
        }
        if (status.getCause() != null && status.getCause().getMessage() != null) {
            sb.append(" (").append(status.getCause().getMessage()).append(')');
        }
        return sb.toString();
    }

    static String human(java.time.Duration d) {
        long ms = d.toMillis();
        return ms % 1000 == 0 ? (ms / 1000) + "s" : ms + "ms";
    }
}
