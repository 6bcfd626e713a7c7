package dev.pbkv.store;

import dev.pbkv.store.map.BucketedMap;
import dev.pbkv.store.map.Lookup;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A batch's two steps on the map: {@link #evaluate} (primary only) runs the operations against the
 * map as the earlier ones would leave it, without changing it, and says whether every condition
 * holds and which effects to log; {@link #applyEffects} (primary, backup and replay) changes the
 * map by those effects, all of them or, when the arena refuses one, none (the keys already changed
 * are put back as they were). The caller holds the store's write lock, so no other write
 * interleaves, and the batch fence's write side (see {@link Store#readAtomically}) while effects
 * are applied, so no atomic reader sees half of them.
 */
final class BatchApply {
    private static final byte[] EMPTY = new byte[0];

    private BatchApply() {}

    /**
     * What the batch would do.
     *
     * @param failedIndex  the first operation whose condition fails, -1 if none
     * @param failure      PRESENT (an insert of a present key) or ABSENT (an update of an absent
     *                     key) when failedIndex is set, else null
     * @param before       per operation up to the failed one, the key's value before it (null: absent)
     * @param effects      the puts and deletes to log and apply, in order (offsets not yet set)
     * @param effectOps    per effect, the index of the operation that made it
     * @param answerOffset the highest offset of what the evaluation looked at
     */
    record Evaluation(
            int failedIndex,
            WriteOutcome failure,
            List<byte[]> before,
            List<LogRecord> effects,
            List<Integer> effectOps,
            long answerOffset) {}

    /**
     * @param now the primary's clock (epoch ms): an entry whose deadline passed counts as absent,
     *            as it does for single-key writes (docs/expiry.md)
     */
    static Evaluation evaluate(BucketedMap map, List<BatchOp> ops, long now) {
        Map<ByteBuffer, byte[]> overlay = new HashMap<>(); // key -> value after the ops so far; null: absent
        List<byte[]> before = new ArrayList<>(ops.size());
        List<LogRecord> effects = new ArrayList<>(ops.size());
        List<Integer> effectOps = new ArrayList<>(ops.size());
        long answerOffset = 0;
        for (int i = 0; i < ops.size(); i++) {
            BatchOp op = ops.get(i);
            ByteBuffer k = ByteBuffer.wrap(op.key());
            byte[] current;
            if (overlay.containsKey(k)) {
                current = overlay.get(k);
            } else {
                Lookup l = map.lookup(op.key());
                answerOffset = Math.max(answerOffset, l.offset());
                boolean expired = l.found() && l.deadline() != 0 && l.deadline() <= now;
                current = expired ? null : l.value();
            }
            before.add(current);
            switch (op.kind()) {
                case INSERT -> {
                    if (current != null) {
                        return new Evaluation(i, WriteOutcome.PRESENT, before, List.of(), List.of(), answerOffset);
                    }
                    overlay.put(k, op.value());
                    effects.add(effect(Effect.PUT, op.key(), op.value()));
                    effectOps.add(i);
                }
                case UPDATE -> {
                    if (current == null) {
                        return new Evaluation(i, WriteOutcome.ABSENT, before, List.of(), List.of(), answerOffset);
                    }
                    overlay.put(k, op.value());
                    effects.add(effect(Effect.PUT, op.key(), op.value()));
                    effectOps.add(i);
                }
                case PUT -> {
                    overlay.put(k, op.value());
                    effects.add(effect(Effect.PUT, op.key(), op.value()));
                    effectOps.add(i);
                }
                case DELETE -> {
                    overlay.put(k, null);
                    if (current != null) {
                        effects.add(effect(Effect.DELETE, op.key(), EMPTY));
                        effectOps.add(i);
                    }
                }
                case GET -> overlay.put(k, current);
            }
        }
        return new Evaluation(-1, null, before, effects, effectOps, answerOffset);
    }

    private static LogRecord effect(Effect effect, byte[] key, byte[] value) {
        return new LogRecord(0, 0, effect, key, value, 0, 0);
    }

    /**
     * Applies effects to the map at offset, in order. Returns null when all were applied; else the
     * outcome that refused one (OUT_OF_MEMORY or REJECTED), the map then as before the call.
     */
    static Failure applyEffects(BucketedMap map, List<LogRecord> effects, long offset) {
        Map<ByteBuffer, Lookup> originals = new LinkedHashMap<>();
        for (int i = 0; i < effects.size(); i++) {
            LogRecord e = effects.get(i);
            originals.computeIfAbsent(ByteBuffer.wrap(e.key()), k -> map.lookup(e.key()));
            WriteOutcome r =
                    e.effect() == Effect.DELETE ? map.delete(e.key(), offset) : map.put(e.key(), e.value(), offset);
            if (r == WriteOutcome.OUT_OF_MEMORY || r == WriteOutcome.REJECTED) {
                restore(map, originals);
                return new Failure(i, r);
            }
        }
        return null;
    }

    /** The effect at index was refused with outcome. */
    record Failure(int index, WriteOutcome outcome) {}

    /** Puts every key back as it was (the memory its batch values held is free again, so this fits). */
    private static void restore(BucketedMap map, Map<ByteBuffer, Lookup> originals) {
        for (Map.Entry<ByteBuffer, Lookup> o : originals.entrySet()) {
            byte[] key = o.getKey().array();
            Lookup was = o.getValue();
            if (was.found()) {
                map.put(key, was.value(), was.offset(), was.deadline());
            } else {
                // The bucket's newest-delete offset only grows: this one is not above it.
                map.delete(key, was.offset());
            }
        }
    }
}
