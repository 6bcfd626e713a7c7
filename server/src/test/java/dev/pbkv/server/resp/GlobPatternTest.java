package dev.pbkv.server.resp;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** Redis glob semantics for PSUBSCRIBE patterns. */
class GlobPatternTest {
    private static boolean m(String pattern, String s) {
        return new GlobPattern(pattern.getBytes(StandardCharsets.UTF_8)).matches(s.getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void starQuestionMarkClassesAndEscapes() {
        assertThat(m("__keyspace@0__:*", "__keyspace@0__:a/b")).isTrue();
        assertThat(m("__keyspace@0__:*", "__keyevent@0__:set")).isFalse();
        assertThat(m("*", "")).isTrue();
        assertThat(m("a*b*c", "axxbyyc")).isTrue();
        assertThat(m("a*b*c", "axxbyy")).isFalse();
        assertThat(m("h?llo", "hello")).isTrue();
        assertThat(m("h?llo", "hllo")).isFalse();
        assertThat(m("h[ae]llo", "hallo")).isTrue();
        assertThat(m("h[ae]llo", "hillo")).isFalse();
        assertThat(m("h[^e]llo", "hallo")).isTrue();
        assertThat(m("h[^e]llo", "hello")).isFalse();
        assertThat(m("h[a-c]llo", "hbllo")).isTrue();
        assertThat(m("h[a-c]llo", "hdllo")).isFalse();
        assertThat(m("a\\*b", "a*b")).isTrue();
        assertThat(m("a\\*b", "axb")).isFalse();
        assertThat(m("exact", "exact")).isTrue();
        assertThat(m("exact", "exactly")).isFalse();
    }
}
