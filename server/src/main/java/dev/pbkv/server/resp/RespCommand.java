package dev.pbkv.server.resp;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The commands the RESP door knows, with the metadata COMMAND reports (Redis conventions: a
 * positive arity is exact, a negative one a minimum, both counting the name; first key, last key
 * and step locate the keys among the arguments).
 */
enum RespCommand {
    GET(2, true, false, 1, 1, 1),
    SET(-3, false, true, 1, 1, 1),
    DEL(-2, false, true, 1, -1, 1),
    EXISTS(-2, true, false, 1, -1, 1),
    DBSIZE(1, true, false, 0, 0, 0),
    MGET(-2, true, false, 1, -1, 1),
    MSET(-3, false, true, 1, -1, 2),
    PING(-1, false, false, 0, 0, 0),
    ECHO(2, false, false, 0, 0, 0),
    INFO(-1, false, false, 0, 0, 0),
    COMMAND(-1, false, false, 0, 0, 0),
    CLIENT(-2, false, false, 0, 0, 0),
    CONFIG(-2, false, false, 0, 0, 0),
    HELLO(-1, false, false, 0, 0, 0),
    SELECT(2, false, false, 0, 0, 0),
    READONLY(1, false, false, 0, 0, 0),
    READWRITE(1, false, false, 0, 0, 0),
    QUIT(-1, false, false, 0, 0, 0),
    SHUTDOWN(-1, false, false, 0, 0, 0),
    AUTH(-2, false, false, 0, 0, 0),
    // For a person in telnet; they work in RESP arrays too.
    PUT(3, false, true, 1, 1, 1),
    DELETE(2, false, true, 1, 1, 1),
    COUNT(1, true, false, 0, 0, 0),
    END(1, false, false, 0, 0, 0),
    // Expiry (docs/expiry.md).
    EXPIRE(-3, false, true, 1, 1, 1),
    PEXPIRE(-3, false, true, 1, 1, 1),
    EXPIREAT(-3, false, true, 1, 1, 1),
    PEXPIREAT(-3, false, true, 1, 1, 1),
    TTL(2, true, false, 1, 1, 1),
    PTTL(2, true, false, 1, 1, 1),
    PERSIST(2, false, true, 1, 1, 1),
    // Keyspace notifications (docs/resp.md): the subscribed mode.
    SUBSCRIBE(-2, false, false, 0, 0, 0),
    PSUBSCRIBE(-2, false, false, 0, 0, 0),
    UNSUBSCRIBE(-1, false, false, 0, 0, 0),
    PUNSUBSCRIBE(-1, false, false, 0, 0, 0),
    // Atomic batches (docs/batches.md).
    MSETNX(-3, false, true, 1, -1, 2),
    MULTI(1, false, false, 0, 0, 0),
    EXEC(1, false, false, 0, 0, 0),
    DISCARD(1, false, false, 0, 0, 0),
    // Backups (docs/persistence.md, "Backups"): admin access, the primary only.
    BGSAVE(-1, false, false, 0, 0, 0),
    SAVE(1, false, false, 0, 0, 0),
    LASTSAVE(1, false, false, 0, 0, 0);

    final String lowerName = name().toLowerCase(Locale.ROOT);
    final int arity;
    final boolean readOnly;
    final boolean write;
    final int firstKey;
    final int lastKey;
    final int step;
    private final byte[] upperName = name().getBytes(StandardCharsets.US_ASCII);

    RespCommand(int arity, boolean readOnly, boolean write, int firstKey, int lastKey, int step) {
        this.arity = arity;
        this.readOnly = readOnly;
        this.write = write;
        this.firstKey = firstKey;
        this.lastKey = lastKey;
        this.step = step;
    }

    /** What a connection may send before it authenticated on a node that requires it (as Redis). */
    boolean allowedBeforeAuth() {
        return this == AUTH || this == HELLO || this == QUIT || this == END;
    }

    boolean arityAccepts(int argCount) {
        return arity >= 0 ? argCount == arity : argCount >= -arity;
    }

    /** Commands by name length, so a lookup compares a few names without making a String. */
    private static final RespCommand[][] BY_LENGTH;

    static {
        int longest = 0;
        for (RespCommand c : values()) {
            longest = Math.max(longest, c.upperName.length);
        }
        List<List<RespCommand>> lists = new ArrayList<>();
        for (int i = 0; i <= longest; i++) {
            lists.add(new ArrayList<>());
        }
        for (RespCommand c : values()) {
            lists.get(c.upperName.length).add(c);
        }
        BY_LENGTH = new RespCommand[longest + 1][];
        for (int i = 0; i <= longest; i++) {
            BY_LENGTH[i] = lists.get(i).toArray(new RespCommand[0]);
        }
    }

    /** The command named (in any case) by name, or null. */
    static RespCommand lookup(byte[] name) {
        if (name.length >= BY_LENGTH.length) {
            return null;
        }
        for (RespCommand c : BY_LENGTH[name.length]) {
            if (equalsIgnoreAsciiCase(c.upperName, name)) {
                return c;
            }
        }
        return null;
    }

    /** Whether arg is word (given in upper case), in any case. */
    static boolean is(byte[] arg, String upperWord) {
        if (arg.length != upperWord.length()) {
            return false;
        }
        for (int i = 0; i < arg.length; i++) {
            if (upper(arg[i]) != upperWord.charAt(i)) {
                return false;
            }
        }
        return true;
    }

    private static boolean equalsIgnoreAsciiCase(byte[] upper, byte[] candidate) {
        for (int i = 0; i < upper.length; i++) {
            if (upper(candidate[i]) != upper[i]) {
                return false;
            }
        }
        return true;
    }

    private static int upper(byte b) {
        return b >= 'a' && b <= 'z' ? b - 32 : b;
    }
}
