package dev.pbkv.tester.load;

import java.nio.charset.StandardCharsets;
import java.util.concurrent.ThreadLocalRandom;

/**
 * What the load consists of: a fixed key space read and written uniformly at random, one value
 * of the configured size written everywhere, and the share of reads.
 */
final class Workload {

    private final byte[][] keys;
    private final byte[] value;
    private final double readRatio;

    Workload(int keyCount, int valueSize, double readRatio) {
        if (keyCount < 1) {
            throw new IllegalArgumentException("--keys must be at least 1, got " + keyCount);
        }
        if (valueSize < 0) {
            throw new IllegalArgumentException("--value-size must be 0 or more, got " + valueSize);
        }
        if (readRatio < 0 || readRatio > 1) {
            throw new IllegalArgumentException("--read-ratio must be within 0..1, got " + readRatio);
        }
        this.keys = new byte[keyCount][];
        for (int i = 0; i < keyCount; i++) {
            keys[i] = String.format("key-%010d", i).getBytes(StandardCharsets.US_ASCII);
        }
        this.value = new byte[valueSize];
        ThreadLocalRandom.current().nextBytes(value);
        this.readRatio = readRatio;
    }

    int keyCount() {
        return keys.length;
    }

    byte[] key(int index) {
        return keys[index];
    }

    byte[] randomKey() {
        return keys[ThreadLocalRandom.current().nextInt(keys.length)];
    }

    byte[] value() {
        return value;
    }

    /** Whether the next operation is a read (get) rather than a write (put). */
    boolean nextIsRead() {
        return readRatio > 0 && ThreadLocalRandom.current().nextDouble() < readRatio;
    }
}
