package dev.pbkv.store;

import static dev.pbkv.store.TestStores.b;
import static dev.pbkv.store.TestStores.config;
import static org.assertj.core.api.Assertions.assertThat;

import dev.pbkv.store.HashTable.Result;
import dev.pbkv.store.map.MapConfig;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class HashTableTest {
    @TempDir
    Path tmp;

    @Test
    void insertUpdatePutDeleteAndLookupAnswerWithTheClassicCodes() throws Exception {
        try (HashTable t = HashTable.open(config(tmp, FsyncPolicy.ALWAYS))) {
            assertThat(t.lookup(b("k"))).isEqualTo(Result.HT_NOTFOUND);
            assertThat(t.update(b("k"), b("v"))).isEqualTo(Result.HT_NOTFOUND);
            assertThat(t.insert(b("k"), b("v1"))).isEqualTo(Result.HT_INSERT_OK);
            assertThat(t.insert(b("k"), b("v2"))).isEqualTo(Result.HT_INSERT_FAILED);
            assertThat(t.lookup(b("k"))).isEqualTo(Result.HT_FOUND);
            assertThat(t.get(b("k"))).isEqualTo(b("v1"));
            assertThat(t.update(b("k"), b("v3"))).isEqualTo(Result.HT_FOUND);
            assertThat(t.put(b("k"), b("v4"))).isEqualTo(Result.HT_FOUND);
            assertThat(t.put(b("other"), b("x"))).isEqualTo(Result.HT_INSERT_OK);
            assertThat(t.count()).isEqualTo(2);
            assertThat(t.delete(b("k"))).isEqualTo(Result.HT_DELETE_OK);
            assertThat(t.delete(b("k"))).isEqualTo(Result.HT_DELETE_FAILED);
            assertThat(t.get(b("k"))).isNull();
            assertThat(t.count()).isEqualTo(1);
        }
    }

    @Test
    void badArgumentsAreInvalidAndChangeNothing() throws Exception {
        try (HashTable t = HashTable.open(config(tmp, FsyncPolicy.ALWAYS))) {
            assertThat(t.insert(new byte[0], b("v"))).isEqualTo(Result.HT_INVALID_ARGUMENT);
            assertThat(t.put(null, b("v"))).isEqualTo(Result.HT_INVALID_ARGUMENT);
            assertThat(t.update(b("k"), null)).isEqualTo(Result.HT_INVALID_ARGUMENT);
            assertThat(t.delete(new byte[0])).isEqualTo(Result.HT_INVALID_ARGUMENT);
            assertThat(t.lookup(null)).isEqualTo(Result.HT_INVALID_ARGUMENT);
            assertThat(t.insert(b("big"), new byte[4 << 20])).isEqualTo(Result.HT_INVALID_ARGUMENT);
            assertThat(t.count()).isZero();
        }
    }

    @Test
    void aFullArenaIsOutOfMemoryUntilADeleteMakesRoom() throws Exception {
        StoreConfig small = new StoreConfig(tmp, new MapConfig(4, 1L << 20), FsyncPolicy.NO, 64L << 20, 64L << 20);
        try (HashTable t = HashTable.open(small)) {
            byte[] value = new byte[100 << 10];
            int stored = 0;
            Result r;
            while ((r = t.insert(b("k" + stored), value)) == Result.HT_INSERT_OK) {
                stored++;
            }
            assertThat(r).isEqualTo(Result.HT_OUT_OF_MEMORY);
            assertThat(t.count()).isEqualTo(stored).isPositive();
            assertThat(t.delete(b("k0"))).isEqualTo(Result.HT_DELETE_OK);
            assertThat(t.insert(b("k" + stored), value)).isEqualTo(Result.HT_INSERT_OK);
        }
    }

    @Test
    void everyOutcomeHasOneCode() {
        for (WriteOutcome o : WriteOutcome.values()) {
            for (Op op : Op.values()) {
                assertThat(HashTable.resultOf(op, o)).isNotNull();
            }
        }
        assertThat(HashTable.resultOf(Op.UPDATE, WriteOutcome.ABSENT)).isEqualTo(Result.HT_NOTFOUND);
        assertThat(HashTable.resultOf(Op.DELETE, WriteOutcome.ABSENT)).isEqualTo(Result.HT_DELETE_FAILED);
    }

    @Test
    void aReturnedWriteSurvivesReopening() throws Exception {
        try (HashTable t = HashTable.open(config(tmp, FsyncPolicy.ALWAYS))) {
            assertThat(t.insert(b("k"), b("kept"))).isEqualTo(Result.HT_INSERT_OK);
        }
        try (HashTable t = HashTable.open(config(tmp, FsyncPolicy.ALWAYS))) {
            assertThat(t.get(b("k"))).isEqualTo(b("kept"));
        }
    }
}
