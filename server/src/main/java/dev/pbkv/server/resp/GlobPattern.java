package dev.pbkv.server.resp;

/**
 * A Redis glob pattern (PSUBSCRIBE, KEYS): {@code *} any bytes, {@code ?} one byte, {@code [abc]},
 * {@code [^a]} and {@code [a-z]} classes, {@code \} escapes the next byte. Matched byte by byte,
 * case-sensitive, as Redis's stringmatchlen does.
 */
final class GlobPattern {
    private final byte[] pattern;

    GlobPattern(byte[] pattern) {
        this.pattern = pattern.clone();
    }

    boolean matches(byte[] s) {
        return match(0, s, 0);
    }

    private boolean match(int p, byte[] s, int i) {
        while (p < pattern.length) {
            byte c = pattern[p];
            switch (c) {
                case '*' -> {
                    while (p + 1 < pattern.length && pattern[p + 1] == '*') {
                        p++;
                    }
                    if (p + 1 == pattern.length) {
                        return true;
                    }
                    for (int j = i; j <= s.length; j++) {
                        if (match(p + 1, s, j)) {
                            return true;
                        }
                    }
                    return false;
                }
                case '?' -> {
                    if (i >= s.length) {
                        return false;
                    }
                    i++;
                    p++;
                }
                case '[' -> {
                    if (i >= s.length) {
                        return false;
                    }
                    int end = classEnd(p);
                    if (end < 0) { // no closing bracket: a literal '['
                        if (s[i] != '[') {
                            return false;
                        }
                        i++;
                        p++;
                    } else {
                        if (!inClass(p + 1, end, s[i])) {
                            return false;
                        }
                        i++;
                        p = end + 1;
                    }
                }
                case '\\' -> {
                    byte literal = p + 1 < pattern.length ? pattern[++p] : (byte) '\\';
                    if (i >= s.length || s[i] != literal) {
                        return false;
                    }
                    i++;
                    p++;
                }
                default -> {
                    if (i >= s.length || s[i] != c) {
                        return false;
                    }
                    i++;
                    p++;
                }
            }
        }
        return i == s.length;
    }

    /** The index of the ']' closing the class opened at p, or -1. */
    private int classEnd(int p) {
        int q = p + 1;
        if (q < pattern.length && pattern[q] == '^') {
            q++;
        }
        for (; q < pattern.length; q++) {
            if (pattern[q] == '\\' && q + 1 < pattern.length) {
                q++;
            } else if (pattern[q] == ']') {
                return q;
            }
        }
        return -1;
    }

    private boolean inClass(int from, int end, byte b) {
        boolean not = pattern[from] == '^';
        int q = not ? from + 1 : from;
        boolean found = false;
        while (q < end) {
            if (pattern[q] == '\\' && q + 1 < end) {
                q++;
                found |= pattern[q] == b;
                q++;
            } else if (q + 2 < end && pattern[q + 1] == '-') {
                int lo = pattern[q] & 0xff;
                int hi = pattern[q + 2] & 0xff;
                if (lo > hi) {
                    int t = lo;
                    lo = hi;
                    hi = t;
                }
                int v = b & 0xff;
                found |= v >= lo && v <= hi;
                q += 3;
            } else {
                found |= pattern[q] == b;
                q++;
            }
        }
        return not != found;
    }
}
