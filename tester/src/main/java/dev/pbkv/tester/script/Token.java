package dev.pbkv.tester.script;

/**
 * One token of a {@code .test} file. A word is a run of characters without blanks or braces, or a
 * double-quoted string; its {@code value} holds the text with {@code ${...}} placeholders parsed.
 */
public record Token(Kind kind, String text, Template value, boolean quoted, Position position) {

    public enum Kind {
        WORD,
        LBRACE,
        RBRACE,
        NEWLINE,
        EOF
    }

    /** Whether this token is the given unquoted keyword. */
    public boolean is(String keyword) {
        return kind == Kind.WORD && !quoted && value.isLiteral() && text.equals(keyword);
    }

    /** Whether this is an unquoted word with no placeholders (a keyword, name or number). */
    public boolean isPlainWord() {
        return kind == Kind.WORD && !quoted && value.isLiteral();
    }

    /** How the token is named in "expected ..., found ..." messages. */
    public String describe() {
        return switch (kind) {
            case WORD -> quoted ? "\"" + text + "\"" : "'" + text + "'";
            case LBRACE -> "'{'";
            case RBRACE -> "'}'";
            case NEWLINE -> "end of line";
            case EOF -> "end of file";
        };
    }
}
