package dev.pbkv.store.map;

import dev.pbkv.store.WriteOutcome;
import java.util.HashMap;
import java.util.Map;
import org.jetbrains.kotlinx.lincheck.LinChecker;
import org.jetbrains.kotlinx.lincheck.annotations.Operation;
import org.jetbrains.kotlinx.lincheck.annotations.Param;
import org.jetbrains.kotlinx.lincheck.paramgen.IntGen;
import org.jetbrains.kotlinx.lincheck.strategy.managed.modelchecking.ModelCheckingOptions;
import org.jetbrains.kotlinx.lincheck.strategy.stress.StressOptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;

/**
 * Linearizability of the map's operations, checked by lincheck against {@link SequentialMap}.
 * Two buckets and four keys: several keys share a bucket (probing, back-shifting deletes) and
 * count() spans both buckets. Values of two sizes so replaces both overwrite in place and move.
 */
@Param(name = "key", gen = IntGen.class, conf = "1:4")
@Param(name = "value", gen = IntGen.class, conf = "1:3")
public class BucketedMapLincheckTest {
    private final BucketedMap map = new BucketedMap(2, 64 << 10, 4 << 10);

    static byte[] key(int k) {
        return new byte[] {(byte) k};
    }

    /** Value v is v repeated, 2 bytes for odd v and 200 for even v (different size classes). */
    static byte[] value(int v) {
        byte[] b = new byte[v % 2 == 1 ? 2 : 200];
        java.util.Arrays.fill(b, (byte) v);
        return b;
    }

    /** The v that value(v) encodes, or -1 for bytes no single write produced (a torn read). */
    static Integer decode(byte[] b) {
        if (b == null) {
            return null;
        }
        return b.length > 0 && java.util.Arrays.equals(b, value(b[0])) ? (int) b[0] : -1;
    }

    @Operation
    public WriteOutcome insert(@Param(name = "key") int k, @Param(name = "value") int v) {
        return map.insert(key(k), value(v), 1);
    }

    @Operation
    public WriteOutcome update(@Param(name = "key") int k, @Param(name = "value") int v) {
        return map.update(key(k), value(v), 1);
    }

    @Operation
    public WriteOutcome put(@Param(name = "key") int k, @Param(name = "value") int v) {
        return map.put(key(k), value(v), 1);
    }

    @Operation
    public Integer get(@Param(name = "key") int k) {
        return decode(map.get(key(k)));
    }

    @Operation
    public WriteOutcome delete(@Param(name = "key") int k) {
        return map.delete(key(k), 1);
    }

    @Operation
    public boolean exists(@Param(name = "key") int k) {
        return map.exists(key(k));
    }

    @Operation
    public long count() {
        return map.count();
    }

    /** The specification: a plain HashMap with the same result codes. */
    public static class SequentialMap {
        private final Map<Integer, Integer> m = new HashMap<>();

        public WriteOutcome insert(int k, int v) {
            return m.putIfAbsent(k, v) == null ? WriteOutcome.CREATED : WriteOutcome.PRESENT;
        }

        public WriteOutcome update(int k, int v) {
            return m.replace(k, v) != null ? WriteOutcome.REPLACED : WriteOutcome.ABSENT;
        }

        public WriteOutcome put(int k, int v) {
            return m.put(k, v) != null ? WriteOutcome.REPLACED : WriteOutcome.CREATED;
        }

        public Integer get(int k) {
            return m.get(k);
        }

        public WriteOutcome delete(int k) {
            return m.remove(k) != null ? WriteOutcome.DELETED : WriteOutcome.ABSENT;
        }

        public boolean exists(int k) {
            return m.containsKey(k);
        }

        public long count() {
            return m.size();
        }
    }

    @Test
    void stressTestIsLinearizable() {
        LinChecker.check(
                BucketedMapLincheckTest.class,
                new StressOptions()
                        .iterations(10)
                        .invocationsPerIteration(300)
                        .threads(3)
                        .actorsPerThread(4)
                        .sequentialSpecification(SequentialMap.class));
    }

    /**
     * Off by default: lincheck's model checking costs ~25 s of fixed set-up on the loaded build
     * machine, which the module's test budget cannot afford. Run it with
     * {@code mvn -pl store test -Dtest=BucketedMapLincheckTest -Dpbkv.lincheck.model=true}.
     */
    @Test
    @EnabledIfSystemProperty(named = "pbkv.lincheck.model", matches = "true")
    void modelCheckingTestIsLinearizable() {
        LinChecker.check(
                BucketedMapLincheckTest.class,
                new ModelCheckingOptions()
                        .iterations(3)
                        .invocationsPerIteration(30)
                        .threads(2)
                        .actorsPerThread(3)
                        .sequentialSpecification(SequentialMap.class));
    }
}
