package dev.pbkv.tester.linearizability;

import dev.pbkv.tester.history.Answer;
import dev.pbkv.tester.history.Op;
import dev.pbkv.tester.history.Outcome;
import java.util.Objects;

/**
 * The sequential specification of one key: a register that holds a value or nothing. A state is
 * the value, or null for an absent key. {@link #step} says whether an op may take effect in a
 * state and the state after it, checking the answer the op got when it completed OK.
 */
final class RegisterModel {
    /** Returned by {@link #step} when the op cannot take effect in that state with that answer. */
    static final Object IMPOSSIBLE = new Object();

    private RegisterModel() {}

    /** The state after op, or {@link #IMPOSSIBLE}. A write of UNKNOWN outcome is only its effect. */
    static Object step(String state, Op op) {
        boolean present = state != null;
        if (op.outcome() == Outcome.UNKNOWN) {
            return switch (op.kind()) {
                case PUT -> op.value();
                case INSERT -> present ? state : op.value();
                case UPDATE -> present ? op.value() : null;
                case DELETE -> null;
                case GET -> state; // never checked: an unknown get says nothing
            };
        }
        Answer a = op.answer();
        return switch (op.kind()) {
            case GET ->
                (a == Answer.ABSENT && !present) || (a == Answer.VALUE && Objects.equals(state, op.value()))
                        ? state
                        : IMPOSSIBLE;
            case PUT -> op.created() == null || op.created() != present ? op.value() : IMPOSSIBLE;
            case INSERT ->
                a == Answer.APPLIED && !present
                        ? op.value()
                        : a == Answer.ALREADY_EXISTS && present ? state : IMPOSSIBLE;
            case UPDATE ->
                a == Answer.APPLIED && present ? op.value() : a == Answer.NOT_FOUND && !present ? null : IMPOSSIBLE;
            case DELETE ->
                a == Answer.APPLIED && present ? null : a == Answer.NOT_FOUND && !present ? null : IMPOSSIBLE;
        };
    }
}
