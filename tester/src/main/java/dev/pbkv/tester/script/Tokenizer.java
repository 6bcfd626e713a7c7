package dev.pbkv.tester.script;

import java.util.ArrayList;
import java.util.List;

/**
 * Cuts a {@code .test} file into tokens. Statements are line based, so ends of lines are tokens;
 * {@code #} starts a comment when it begins a token; braces are tokens except inside
 * {@code ${...}}; double-quoted strings take the escapes {@code \" \\ \n \t \$}.
 */
public final class Tokenizer {
    private final String file;
    private final String text;
    private int index;
    private int line = 1;
    private int column = 1;

    private Tokenizer(String file, String text) {
        this.file = file;
        this.text = text;
    }

    /** Every token of {@code text}, ending with one EOF token. */
    public static List<Token> tokenize(String file, String text) throws ParseException {
        return new Tokenizer(file, text).run();
    }

    private List<Token> run() throws ParseException {
        List<Token> tokens = new ArrayList<>();
        while (true) {
            skipBlanksAndComment();
            Position here = position();
            if (index >= text.length()) {
                tokens.add(new Token(Token.Kind.EOF, "", Template.literal(""), false, here));
                return tokens;
            }
            char c = text.charAt(index);
            if (c == '\n' || c == '\r') {
                advance();
                if (c == '\r' && index < text.length() && text.charAt(index) == '\n') {
                    advance(); // \r\n is one end of line: the \r did not count as one
                }
                tokens.add(new Token(Token.Kind.NEWLINE, "\n", Template.literal(""), false, here));
            } else if (c == '{') {
                advance();
                tokens.add(new Token(Token.Kind.LBRACE, "{", Template.literal("{"), false, here));
            } else if (c == '}') {
                advance();
                tokens.add(new Token(Token.Kind.RBRACE, "}", Template.literal("}"), false, here));
            } else if (c == '"') {
                tokens.add(quoted(here));
            } else {
                tokens.add(bare(here));
            }
        }
    }

    private void skipBlanksAndComment() {
        while (index < text.length()) {
            char c = text.charAt(index);
            if (c == ' ' || c == '\t' || c == '\f') {
                advance();
            } else if (c == '#') {
                while (index < text.length() && text.charAt(index) != '\n' && text.charAt(index) != '\r') {
                    advance();
                }
            } else {
                return;
            }
        }
    }

    private Token bare(Position start) throws ParseException {
        TemplateBuilder value = new TemplateBuilder();
        StringBuilder source = new StringBuilder();
        while (index < text.length()) {
            char c = text.charAt(index);
            if (Character.isWhitespace(c) || c == '{' || c == '}') {
                break;
            }
            if (c == '"') {
                throw new ParseException(
                        position(), "unexpected '\"' inside a word (quote the whole word, e.g. \"a b\")");
            }
            if (c == '$' && peek(1) == '{') {
                int from = index;
                value.variable(variable());
                source.append(text, from, index);
            } else {
                value.literal(c);
                source.append(c);
                advance();
            }
        }
        return new Token(Token.Kind.WORD, source.toString(), value.build(), false, start);
    }

    private Token quoted(Position start) throws ParseException {
        advance(); // the opening quote
        TemplateBuilder value = new TemplateBuilder();
        StringBuilder shown = new StringBuilder();
        while (true) {
            if (index >= text.length() || text.charAt(index) == '\n' || text.charAt(index) == '\r') {
                throw new ParseException(start, "unterminated string (expected a closing '\"' on the same line)");
            }
            char c = text.charAt(index);
            if (c == '"') {
                advance();
                return new Token(Token.Kind.WORD, shown.toString(), value.build(), true, start);
            }
            if (c == '\\') {
                Position escape = position();
                advance();
                char e = index < text.length() ? text.charAt(index) : '\n';
                char unescaped = switch (e) {
                    case '"' -> '"';
                    case '\\' -> '\\';
                    case 'n' -> '\n';
                    case 't' -> '\t';
                    case '$' -> '$';
                    default ->
                        throw new ParseException(
                                escape,
                                "unknown escape '\\" + (e == '\n' ? "" : String.valueOf(e))
                                        + "' (expected one of \\\" \\\\ \\n \\t \\$)");
                };
                advance();
                value.literal(unescaped);
                shown.append(unescaped);
            } else if (c == '$' && peek(1) == '{') {
                int from = index;
                value.variable(variable());
                shown.append(text, from, index);
            } else {
                value.literal(c);
                shown.append(c);
                advance();
            }
        }
    }

    /** Reads {@code ${name}} at the current index. */
    private Template.Variable variable() throws ParseException {
        Position start = position();
        advance();
        advance();
        int from = index;
        while (index < text.length() && text.charAt(index) != '}') {
            char c = text.charAt(index);
            if (!(Character.isLetterOrDigit(c) || c == '_' || c == '.' || c == '-' || c == ':')) {
                throw new ParseException(
                        position(),
                        "unexpected '" + printable(c)
                                + "' in ${...} (expected a name such as i, worker or primary.grpc, then '}')");
            }
            advance();
        }
        if (index >= text.length()) {
            throw new ParseException(start, "unterminated ${ (expected '}')");
        }
        String name = text.substring(from, index);
        if (name.isEmpty()) {
            throw new ParseException(start, "empty ${} (expected a name such as i, worker or primary.grpc)");
        }
        advance(); // the closing brace
        return new Template.Variable(name, start);
    }

    private static String printable(char c) {
        return switch (c) {
            case '\n' -> "end of line";
            case '\t' -> "tab";
            default -> String.valueOf(c);
        };
    }

    private char peek(int ahead) {
        int at = index + ahead;
        return at < text.length() ? text.charAt(at) : '\0';
    }

    private void advance() {
        char c = text.charAt(index++);
        if (c == '\n' || (c == '\r' && (index >= text.length() || text.charAt(index) != '\n'))) {
            line++;
            column = 1;
        } else if (c != '\r') {
            column++;
        }
    }

    private Position position() {
        return new Position(file, line, column);
    }

    /** Collects literal characters and variables into a {@link Template}. */
    private static final class TemplateBuilder {
        private final List<Template.Part> parts = new ArrayList<>();
        private final StringBuilder pending = new StringBuilder();

        void literal(char c) {
            pending.append(c);
        }

        void variable(Template.Variable v) {
            flush();
            parts.add(v);
        }

        Template build() {
            flush();
            if (parts.isEmpty()) {
                parts.add(new Template.Literal(""));
            }
            return new Template(parts);
        }

        private void flush() {
            if (pending.length() > 0) {
                parts.add(new Template.Literal(pending.toString()));
                pending.setLength(0);
            }
        }
    }
}
