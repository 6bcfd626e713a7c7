package dev.pbkv.tester.script;

/** The operations a {@code .test} file sends to a node, with how many key/value words they take. */
public enum OpKind {
    INSERT("insert", 2, true),
    UPDATE("update", 2, true),
    PUT("put", 2, true),
    DELETE("delete", 1, true),
    GET("get", 1, false),
    EXISTS("exists", 1, false),
    COUNTKEY("countkey", 0, false),
    DUMP("dump", 0, false),
    /** {@code expire KEY DURATION}: the key expires that long from now (a pbkv extra). */
    EXPIRE("expire", 2, false),
    /** {@code ttl KEY}: the time the key has left (a pbkv extra). */
    TTL("ttl", 1, false),
    PROMOTE("promote", 0, false),
    SHUTDOWN("shutdown", 0, false);

    private final String keyword;
    private final int arity;
    private final boolean write;

    OpKind(String keyword, int arity, boolean write) {
        this.keyword = keyword;
        this.arity = arity;
        this.write = write;
    }

    public String keyword() {
        return keyword;
    }

    /** How many words follow the keyword: key (and value). */
    public int arity() {
        return arity;
    }

    /** Whether a success changes a key (and so enters the ledger of acknowledged writes). */
    public boolean isKeyWrite() {
        return write;
    }

    /** Whether the node is named right after the keyword ({@code promote backup}). */
    public boolean takesNodeFirst() {
        return this == PROMOTE || this == SHUTDOWN;
    }

    public static OpKind byKeyword(String word) {
        for (OpKind k : values()) {
            if (k.keyword.equals(word)) {
                return k;
            }
        }
        return null;
    }
}
