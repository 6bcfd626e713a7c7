package dev.pbkv.tester.engine;

import dev.pbkv.tester.script.Position;
import java.util.HashSet;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The writes of a case and what they tell about each key's value, for {@code verify}: an
 * acknowledged write must be readable; a write that failed in a way that leaves it unknown (node
 * gone, timeout) may or may not have been applied; a key written by more than one thread at once
 * has no single "last" value from the tester's side, so any value written to it is accepted.
 */
final class AckLedger {
    /** Key → its history; each history guards itself. */
    private final ConcurrentHashMap<String, KeyHistory> keys = new ConcurrentHashMap<>();

    /** A write the node acknowledged; {@code value} is null for a delete. */
    void acknowledged(String key, String value, Position at) {
        keys.computeIfAbsent(key, k -> new KeyHistory()).acknowledged(value, at);
    }

    /** A write whose fate is unknown; {@code value} is null for a delete. */
    void uncertain(String key, String value) {
        keys.computeIfAbsent(key, k -> new KeyHistory()).uncertain(value);
    }

    void clear() {
        keys.clear();
    }

    /** The keys with at least one acknowledged write, sorted. */
    Map<String, KeyHistory> acknowledgedKeys() {
        Map<String, KeyHistory> out = new TreeMap<>();
        keys.forEach((k, h) -> {
            if (h.hasAck()) {
                out.put(k, h);
            }
        });
        return out;
    }

    /** What is known of one key. Every method holds the history's monitor. */
    static final class KeyHistory {
        private boolean acked;
        /** The last acknowledged value; empty for a delete. */
        private Optional<String> ackedValue = Optional.empty();

        private Position ackedAt;
        /** Values of writes after the last acknowledgement whose fate is unknown. */
        private final Set<Optional<String>> maybe = new HashSet<>();
        /** Every value ever written (acknowledged or not); used when writers overlapped. */
        private final Set<Optional<String>> everWritten = new HashSet<>();

        private final Set<Long> writerThreads = new HashSet<>();

        synchronized void acknowledged(String value, Position at) {
            record(value);
            acked = true;
            ackedValue = Optional.ofNullable(value);
            ackedAt = at;
            maybe.clear();
        }

        synchronized void uncertain(String value) {
            record(value);
            maybe.add(Optional.ofNullable(value));
        }

        private void record(String value) {
            everWritten.add(Optional.ofNullable(value));
            writerThreads.add(Thread.currentThread().getId());
        }

        synchronized boolean hasAck() {
            return acked;
        }

        /** Whether a read of {@code actual} (empty: absent) agrees with the history. */
        synchronized boolean accepts(Optional<String> actual) {
            if (writerThreads.size() > 1) {
                return everWritten.contains(actual) || actual.isEmpty();
            }
            return ackedValue.equals(actual) || maybe.contains(actual);
        }

        /** What {@code verify} expected, for its failure message. */
        synchronized String describeExpected() {
            String v = ackedValue.map(s -> "\"" + s + "\"").orElse("missing (deleted)");
            String also = maybe.isEmpty() ? "" : " or one of " + maybe.size() + " unconfirmed later writes";
            String shared = writerThreads.size() > 1
                    ? " (or any value written by its " + writerThreads.size() + " writers)"
                    : "";
            return v + also + shared + ", acknowledged at " + (ackedAt == null ? "?" : ackedAt.fileLine());
        }
    }
}
