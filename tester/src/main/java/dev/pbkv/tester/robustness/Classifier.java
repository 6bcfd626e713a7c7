package dev.pbkv.tester.robustness;

import dev.pbkv.tester.history.Outcome;
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.net.ConnectException;

/**
 * What a failed call means for the history (docs/tester.md, "What counts as failed").
 *
 * <ul>
 *   <li>FAIL, definitely not applied: a status the node itself sent that DESIGN.md reserves for
 *       "refused, not applied" (UNAVAILABLE, INVALID_ARGUMENT, RESOURCE_EXHAUSTED,
 *       FAILED_PRECONDITION), or a connection that was never made (connection refused: the call
 *       never left the client).
 *   <li>UNKNOWN, anything else: a deadline, a lost connection, UNAVAILABLE made up by the
 *       transport, INTERNAL ("not acknowledged" is not "not applied"), UNKNOWN, the node's
 *       "outcome unknown" (whatever its code: a {@code pbkv-outcome} trailer or "outcome unknown"
 *       in the description), ABORTED, CANCELLED.
 * </ul>
 *
 * A write classified FAIL that did take effect is what the checker then catches (a read of a
 * write answered as failed); classifying a refusal as UNKNOWN is always sound, only weaker.
 */
final class Classifier {
    private Classifier() {}

    /** A trailer or description by which a node may say "outcome unknown" whatever the code. */
    static final Metadata.Key<String> OUTCOME_TRAILER =
            Metadata.Key.of("pbkv-outcome", Metadata.ASCII_STRING_MARSHALLER);

    static Outcome ofWriteFailure(StatusRuntimeException e, boolean serverAnswered) {
        Status.Code code = e.getStatus().getCode();
        if (saysOutcomeUnknown(e)) {
            return Outcome.UNKNOWN;
        }
        if (serverAnswered) {
            return switch (code) {
                case UNAVAILABLE, INVALID_ARGUMENT, RESOURCE_EXHAUSTED, FAILED_PRECONDITION -> Outcome.FAIL;
                default -> Outcome.UNKNOWN;
            };
        }
        return code == Status.Code.UNAVAILABLE && neverConnected(e) ? Outcome.FAIL : Outcome.UNKNOWN;
    }

    private static boolean saysOutcomeUnknown(StatusRuntimeException e) {
        Metadata t = e.getTrailers();
        if (t != null && t.get(OUTCOME_TRAILER) != null) {
            return true;
        }
        String d = e.getStatus().getDescription();
        return d != null && d.toLowerCase(java.util.Locale.ROOT).contains("outcome unknown");
    }

    private static boolean neverConnected(Throwable t) {
        for (Throwable c = t; c != null; c = c.getCause()) {
            if (c instanceof ConnectException) {
                return true;
            }
        }
        return false;
    }

    /** The status as one line: code, the node's description or the transport's, and whose it was. */
    static String describe(StatusRuntimeException e, boolean serverAnswered) {
        Status s = e.getStatus();
        StringBuilder sb = new StringBuilder(s.getCode().name());
        if (s.getDescription() != null) {
            sb.append(": ").append(s.getDescription());
        }
        if (s.getCause() != null) {
            sb.append(" (").append(s.getCause().getClass().getSimpleName());
            if (s.getCause().getMessage() != null) {
                sb.append(": ").append(s.getCause().getMessage());
            }
            sb.append(')');
        }
        sb.append(serverAnswered ? " [from the node]" : " [from the transport]");
        return sb.toString();
    }
}
