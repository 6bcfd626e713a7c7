package dev.pbkv.tester.linearizability;

import dev.pbkv.tester.history.Op;
import java.util.List;

/**
 * The checker's finding for one key that is not (or not provably) linearizable.
 *
 * @param key          the key
 * @param inconclusive true when the search ran out of steps (nothing proven either way)
 * @param window       the smallest failing window found: ops of this key, in invocation order,
 *                     that no order explains from any initial state (the last one is where the
 *                     history stops being explainable); for an inconclusive key, empty
 * @param fromAnyState whether the window fails from every initial state (else only from absent,
 *                     when it starts at the key's first op)
 */
public record KeyVerdict(String key, boolean inconclusive, List<Op> window, boolean fromAnyState) {}
