package dev.pbkv.tester.history;

/**
 * One invocation and its completion, as a robustness client saw it.
 *
 * @param id          unique in its history, in the order the ops were recorded
 * @param client      the client (one op in flight per client)
 * @param kind        what was invoked
 * @param key         the one key it touches
 * @param value       for a write: the value written (unique per write in a run); for a get that
 *                    answered {@link Answer#VALUE}: the value read; else null
 * @param callNanos   System.nanoTime() just before the invocation
 * @param returnNanos System.nanoTime() just after the completion (for UNKNOWN: when the client gave
 *                    up; the write may still take effect later)
 * @param outcome     OK, FAIL or UNKNOWN
 * @param answer      for OK: what the node answered; else {@link Answer#NONE}
 * @param created     for an OK put: whether the node said the key was absent before; else null
 * @param node        the node (host:port) the call went to
 * @param detail      the error for FAIL and UNKNOWN (gRPC status and description); else empty
 */
public record Op(
        long id,
        int client,
        OpKind kind,
        String key,
        String value,
        long callNanos,
        long returnNanos,
        Outcome outcome,
        Answer answer,
        Boolean created,
        String node,
        String detail) {

    public Op {
        if (returnNanos < callNanos) {
            throw new IllegalArgumentException("op " + id + " returns before it is called");
        }
        if (outcome != Outcome.OK && answer != Answer.NONE) {
            throw new IllegalArgumentException("op " + id + ": only an OK op has an answer");
        }
        detail = detail == null ? "" : detail;
        node = node == null ? "" : node;
    }

    public boolean isWrite() {
        return kind.isWrite();
    }

    /** An acknowledged write that changed the key (the ones that must never be lost). */
    public boolean isAcknowledgedWrite() {
        return isWrite() && outcome == Outcome.OK && answer == Answer.APPLIED;
    }

    /** e.g. {@code c3 insert k7 "v3-12" -> ok already_exists}. */
    public String describe() {
        StringBuilder sb = new StringBuilder();
        sb.append('c')
                .append(client)
                .append(' ')
                .append(kind.lower())
                .append(' ')
                .append(key);
        if (isWrite() && kind != OpKind.DELETE) {
            sb.append(" \"").append(value).append('"');
        }
        sb.append(" -> ");
        switch (outcome) {
            case OK -> {
                sb.append("ok");
                switch (answer) {
                    case VALUE -> sb.append(" \"").append(value).append('"');
                    case ABSENT -> sb.append(" absent");
                    case NOT_FOUND -> sb.append(" not_found");
                    case ALREADY_EXISTS -> sb.append(" already_exists");
                    default -> {
                        if (created != null) {
                            sb.append(created ? " created" : " replaced");
                        }
                    }
                }
            }
            case FAIL -> sb.append("fail (").append(detail).append(')');
            case UNKNOWN -> sb.append("unknown (").append(detail).append(')');
        }
        return sb.toString();
    }

    /** Builders for tests and the recorder. */
    public static Op ok(long id, int client, OpKind kind, String key, String value, long call, long ret, Answer a) {
        return new Op(id, client, kind, key, value, call, ret, Outcome.OK, a, null, "", "");
    }

    public static Op failed(long id, int client, OpKind kind, String key, String value, long call, long ret) {
        return new Op(id, client, kind, key, value, call, ret, Outcome.FAIL, Answer.NONE, null, "", "refused");
    }

    public static Op unknown(long id, int client, OpKind kind, String key, String value, long call, long ret) {
        return new Op(id, client, kind, key, value, call, ret, Outcome.UNKNOWN, Answer.NONE, null, "", "timeout");
    }
}
