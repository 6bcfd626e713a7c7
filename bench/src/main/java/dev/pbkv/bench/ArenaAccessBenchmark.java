package dev.pbkv.bench;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The decision behind SlabArena's memory: large on-heap byte[] slabs (VarHandle views,
 * Arrays.equals, System.arraycopy) or direct ByteBuffers (absolute getLong/get/put). Same layout
 * as the arena (16-byte header, 16-byte key, 100-byte value in 136-byte slots, 1M items in 64 MiB
 * slabs); a read = compare the key, copy the value out; a write = copy a value in.
 * Run: java -cp ... org.openjdk.jmh.Main ArenaAccessBenchmark (see docs/store.md for the figures).
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Fork(
        value = 1,
        jvmArgs = {"-Xms2g", "-Xmx2g"})
@Warmup(iterations = 2, time = 2)
@Measurement(iterations = 3, time = 2)
public class ArenaAccessBenchmark {
    private static final int SLOT = 136;
    private static final int HEADER = 16;
    private static final int KEY = 16;
    private static final int VALUE = 100;
    private static final int ITEMS = 1_000_000;
    private static final int SLAB_SHIFT = 26;
    private static final VarHandle LONG_LE =
            MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);

    @Param({"heap", "direct"})
    public String memory;

    private byte[][] heapSlabs;
    private ByteBuffer[] directSlabs;
    private byte[][] keys;
    private boolean heap;

    @Setup(Level.Trial)
    public void setup() {
        heap = memory.equals("heap");
        long total = (long) ITEMS * SLOT;
        int slabs = (int) ((total >>> SLAB_SHIFT) + 1);
        keys = new byte[ITEMS][];
        SplittableRandom rnd = new SplittableRandom(1);
        if (heap) {
            heapSlabs = new byte[slabs][1 << SLAB_SHIFT];
        } else {
            directSlabs = new ByteBuffer[slabs];
            for (int i = 0; i < slabs; i++) {
                directSlabs[i] = ByteBuffer.allocateDirect(1 << SLAB_SHIFT).order(ByteOrder.LITTLE_ENDIAN);
            }
        }
        byte[] value = new byte[VALUE];
        for (int i = 0; i < ITEMS; i++) {
            keys[i] = new byte[KEY];
            rnd.nextBytes(keys[i]);
            write(address(i), keys[i], value);
        }
    }

    private static long address(int item) {
        // Items do not straddle slabs: each slab holds a whole number of slots.
        int perSlab = (1 << SLAB_SHIFT) / SLOT;
        return ((long) (item / perSlab) << SLAB_SHIFT) + (long) (item % perSlab) * SLOT;
    }

    private void write(long address, byte[] key, byte[] value) {
        int off = (int) (address & ((1 << SLAB_SHIFT) - 1));
        int s = (int) (address >>> SLAB_SHIFT);
        if (heap) {
            byte[] slab = heapSlabs[s];
            System.arraycopy(key, 0, slab, off + HEADER, key.length);
            System.arraycopy(value, 0, slab, off + HEADER + key.length, value.length);
        } else {
            ByteBuffer slab = directSlabs[s];
            slab.put(off + HEADER, key, 0, key.length);
            slab.put(off + HEADER + key.length, value, 0, value.length);
        }
    }

    private byte[] read(long address, byte[] key) {
        int off = (int) (address & ((1 << SLAB_SHIFT) - 1));
        int s = (int) (address >>> SLAB_SHIFT);
        if (heap) {
            byte[] slab = heapSlabs[s];
            if (!Arrays.equals(slab, off + HEADER, off + HEADER + KEY, key, 0, KEY)) {
                return null;
            }
            return Arrays.copyOfRange(slab, off + HEADER + KEY, off + HEADER + KEY + VALUE);
        }
        ByteBuffer slab = directSlabs[s];
        for (int i = 0; i < KEY; i += 8) {
            if (slab.getLong(off + HEADER + i) != (long) LONG_LE.get(key, i)) {
                return null;
            }
        }
        byte[] out = new byte[VALUE];
        slab.get(off + HEADER + KEY, out, 0, VALUE);
        return out;
    }

    @State(Scope.Thread)
    public static class Cursor {
        final SplittableRandom rnd = new SplittableRandom();
        final byte[] value = new byte[VALUE];
    }

    @Benchmark
    public byte[] readRandomItem(Cursor c) {
        int i = c.rnd.nextInt(ITEMS);
        return read(address(i), keys[i]);
    }

    @Benchmark
    public void writeRandomItem(Cursor c) {
        int i = c.rnd.nextInt(ITEMS);
        write(address(i), keys[i], c.value);
    }
}
