package dev.pbkv.tester.robustness;

import dev.pbkv.tester.history.Op;
import dev.pbkv.tester.history.Outcome;
import java.util.List;

/**
 * What the clients saw around one kill of the primary, from the history.
 *
 * @param killNanos             when the primary was killed
 * @param firstAcceptedNanos    the return of the first write acknowledged after the kill (0: none)
 * @param byOtherNode           whether that write was acknowledged by the other node (a failover)
 * @param lastAcceptedBefore    the return of the last write acknowledged before the kill (0: none)
 */
record FailoverTiming(long killNanos, long firstAcceptedNanos, boolean byOtherNode, long lastAcceptedBefore) {

    /** From the kill to the first write accepted after it, in ms; -1 when none was. */
    double killToFirstWriteMillis() {
        return firstAcceptedNanos == 0 ? -1 : (firstAcceptedNanos - killNanos) / 1e6;
    }

    /** From the last write acknowledged before the kill to the first after it: the pause a client saw. */
    double clientPauseMillis() {
        return firstAcceptedNanos == 0 || lastAcceptedBefore == 0
                ? -1
                : (firstAcceptedNanos - lastAcceptedBefore) / 1e6;
    }

    static FailoverTiming of(List<Op> history, long killNanos, String killedAddress) {
        long first = 0;
        boolean other = false;
        long lastBefore = 0;
        for (Op op : history) {
            if (!op.isWrite() || op.outcome() != Outcome.OK) {
                continue;
            }
            if (op.returnNanos() <= killNanos) {
                lastBefore = Math.max(lastBefore, op.returnNanos());
            } else if (op.callNanos() >= killNanos && (first == 0 || op.returnNanos() < first)) {
                first = op.returnNanos();
                other = !op.node().equals(killedAddress);
            }
        }
        return new FailoverTiming(killNanos, first, other, lastBefore);
    }
}
