package dev.pbkv.tester.linearizability;

import dev.pbkv.tester.history.Op;
import dev.pbkv.tester.history.OpKind;
import dev.pbkv.tester.history.Outcome;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.Deque;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * Whether the ops of one key are linearizable: the Wing–Gong search with Lowe's memoisation, as
 * Porcupine and Knossos do it. The history is a list of call and return events in time order; the
 * search walks it, linearizing at each call the op if the register allows it (and the pair
 * "ops linearized, state" was not met before), undoing the last choice at a return whose op is
 * not linearized yet.
 *
 * <p>Failed ops never happened and are left out. A get of unknown outcome says nothing and is left
 * out. A write of unknown outcome returns at +infinity: it may be linearized anywhere after its
 * call, and the search succeeds as soon as it reaches a return of such an op (every op with a
 * real return is then linearized), which is the write never having taken effect.
 */
final class KeySearch {
    /** The verdict of one search. */
    enum Verdict {
        LINEARIZABLE,
        NOT_LINEARIZABLE,
        /** The search ran out of its step budget: nothing proven. */
        INCONCLUSIVE
    }

    private KeySearch() {}

    /** The ops that constrain the search: neither failed ops nor unknown gets. */
    static List<Op> relevant(List<Op> ops) {
        List<Op> out = new ArrayList<>(ops.size());
        for (Op op : ops) {
            if (op.outcome() == Outcome.FAIL) {
                continue;
            }
            if (op.outcome() == Outcome.UNKNOWN && op.kind() == OpKind.GET) {
                continue;
            }
            out.add(op);
        }
        return out;
    }

    private static final class Entry {
        final int op;
        final boolean call;
        final long time;
        Entry match; // the call's return, the return's call
        Entry prev;
        Entry next;

        Entry(int op, boolean call, long time) {
            this.op = op;
            this.call = call;
            this.time = time;
        }
    }

    private record Frame(Entry call, String state) {}

    private record CacheKey(BitSet linearized, String state) {}

    /**
     * Searches {@code ops} (relevant ones only, see {@link #relevant}) from the initial state (null:
     * absent) within {@code maxSteps} steps.
     */
    static Verdict check(List<Op> ops, String initial, long maxSteps) {
        int n = ops.size();
        if (n == 0) {
            return Verdict.LINEARIZABLE;
        }
        List<Entry> events = new ArrayList<>(2 * n);
        for (int i = 0; i < n; i++) {
            Op op = ops.get(i);
            Entry call = new Entry(i, true, op.callNanos());
            Entry ret = new Entry(i, false, op.outcome() == Outcome.UNKNOWN ? Long.MAX_VALUE : op.returnNanos());
            call.match = ret;
            ret.match = call;
            events.add(call);
            events.add(ret);
        }
        // Time order; at a tie a call comes before a return (the two ops overlap: the weaker claim).
        events.sort((a, b) -> a.time != b.time ? Long.compare(a.time, b.time) : Boolean.compare(!a.call, !b.call));
        Entry head = new Entry(-1, false, Long.MIN_VALUE);
        Entry last = head;
        for (Entry e : events) {
            last.next = e;
            e.prev = last;
            last = e;
        }

        BitSet linearized = new BitSet(n);
        Set<CacheKey> seen = new HashSet<>();
        Deque<Frame> stack = new ArrayDeque<>();
        String state = initial;
        Entry entry = head.next;
        long steps = 0;
        while (head.next != null) {
            if (++steps > maxSteps) {
                return Verdict.INCONCLUSIVE;
            }
            Op op = ops.get(entry.op);
            if (entry.call) {
                Object next = RegisterModel.step(state, op);
                if (next != RegisterModel.IMPOSSIBLE) {
                    BitSet with = (BitSet) linearized.clone();
                    with.set(entry.op);
                    if (seen.add(new CacheKey(with, (String) next))) {
                        stack.push(new Frame(entry, state));
                        state = (String) next;
                        linearized.set(entry.op);
                        lift(entry);
                        entry = head.next;
                        continue;
                    }
                }
                entry = entry.next;
            } else {
                if (op.outcome() == Outcome.UNKNOWN) {
                    return Verdict.LINEARIZABLE; // every op with a real return is linearized
                }
                if (stack.isEmpty()) {
                    return Verdict.NOT_LINEARIZABLE;
                }
                Frame f = stack.pop();
                state = f.state();
                linearized.clear(f.call().op);
                unlift(f.call());
                entry = f.call().next;
            }
        }
        return Verdict.LINEARIZABLE;
    }

    /** Takes a call and its return out of the list. */
    private static void lift(Entry call) {
        call.prev.next = call.next;
        if (call.next != null) {
            call.next.prev = call.prev;
        }
        Entry ret = call.match;
        ret.prev.next = ret.next;
        if (ret.next != null) {
            ret.next.prev = ret.prev;
        }
    }

    /** Puts them back, in the reverse order of {@link #lift}. */
    private static void unlift(Entry call) {
        Entry ret = call.match;
        ret.prev.next = ret;
        if (ret.next != null) {
            ret.next.prev = ret;
        }
        call.prev.next = call;
        if (call.next != null) {
            call.next.prev = call;
        }
    }
}
