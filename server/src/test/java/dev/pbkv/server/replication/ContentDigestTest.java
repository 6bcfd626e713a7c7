package dev.pbkv.server.replication;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.HashSet;
import java.util.Set;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class ContentDigestTest {
    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    @Test
    void anyOneByteChangedInKeyOrValueChangesTheEntryHash() {
        SplittableRandom rnd = new SplittableRandom(3);
        byte[] key = new byte[16];
        byte[] value = new byte[101]; // whole words and a partial one
        rnd.nextBytes(key);
        rnd.nextBytes(value);
        long original = ContentDigest.entryHash(key, value);
        Set<Long> seen = new HashSet<>();
        seen.add(original);
        for (byte[] part : new byte[][] {key, value}) {
            for (int i = 0; i < part.length; i++) {
                part[i] ^= 1;
                assertThat(seen.add(ContentDigest.entryHash(key, value)))
                        .as("byte %d", i)
                        .isTrue();
                part[i] ^= 1;
            }
        }
        assertThat(ContentDigest.entryHash(key, value)).isEqualTo(original);
    }

    @Test
    void whereTheKeyEndsAndTheValueBeginsCounts() {
        assertThat(ContentDigest.entryHash(bytes("ab"), bytes("c")))
                .isNotEqualTo(ContentDigest.entryHash(bytes("a"), bytes("bc")));
        assertThat(ContentDigest.entryHash(bytes("abcdefgh"), bytes("")))
                .isNotEqualTo(ContentDigest.entryHash(bytes(""), bytes("abcdefgh")));
        assertThat(ContentDigest.entryHash(bytes("k"), new byte[8]))
                .isNotEqualTo(ContentDigest.entryHash(bytes("k"), new byte[9]));
    }

    @Test
    void digestsAddUpWhateverTheOrder() {
        ContentDigest a = new ContentDigest(ContentDigest.entryHash(bytes("k1"), bytes("v1")), 1);
        ContentDigest b = new ContentDigest(ContentDigest.entryHash(bytes("k2"), bytes("v2")), 1);
        assertThat(a.plus(b)).isEqualTo(b.plus(a));
        assertThat(a.plus(b).entries()).isEqualTo(2);
    }
}
