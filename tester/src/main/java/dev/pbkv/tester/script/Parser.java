package dev.pbkv.tester.script;

import dev.pbkv.tester.driver.FailureCode;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A recursive-descent parser for the {@code .test} grammar (see test-cases/README.md). One
 * statement per line; blocks in braces. Every error names the file, line and column and what was
 * expected there.
 */
public final class Parser {
    private static final Pattern NODE_NAME = Pattern.compile("[A-Za-z][A-Za-z0-9_-]*");
    private static final Pattern ADDRESS_VARIABLE = Pattern.compile("[A-Za-z][A-Za-z0-9_-]*\\.(grpc|http)");
    /** {@code ${fill:N}}: N 'x' characters, for values too long to write out (up to 64 MiB). */
    public static final Pattern FILL_VARIABLE = Pattern.compile("fill:(\\d{1,8})");

    private static final Pattern DURATION = Pattern.compile("(\\d{1,9})(ms|s|m)");
    private static final Pattern INTEGER = Pattern.compile("\\d{1,18}");
    private static final int MAX_WORKERS = 1024;
    private static final String STATEMENTS =
            "a statement (reset, start, stop, kill, restart, pause, resume, clean, wait, use, insert, update, put, get, delete,"
                    + " exists, countkey, dump, promote, shutdown, concurrent, repeat, busy, sleep, run, consistent,"
                    + " verify, requires, expire, ttl, watch, changes)";
    /** The features a {@code requires} line may name (dev.pbkv.tester.config.Contract.FEATURES). */
    public static final Set<String> FEATURES = Set.of("pbkv", "alone", "strict");

    private final List<Token> tokens;
    private int at;
    /** The variables bound by the enclosing repeat and concurrent blocks, innermost first. */
    private final Deque<Set<String>> scopes = new ArrayDeque<>();

    private Parser(List<Token> tokens) {
        this.tokens = tokens;
    }

    /** Parses one file's text; {@code name} is what positions in messages call the file. */
    public static Script parse(String name, String text) throws ParseException {
        Parser parser = new Parser(Tokenizer.tokenize(name, text));
        List<Statement> statements = new ArrayList<>(parser.statements(null));
        Set<String> requires = new java.util.TreeSet<>();
        while (!statements.isEmpty() && statements.get(0) instanceof Statement.Requires r && r.header()) {
            requires.addAll(r.features());
            statements.remove(0);
        }
        return new Script(name, requires, statements, text.lines().toList());
    }

    /** Statements up to the end of the file, or up to the '}' of a block opened at {@code open}. */
    private List<Statement> statements(Position open) throws ParseException {
        List<Statement> out = new ArrayList<>();
        while (true) {
            Token t = peek();
            switch (t.kind()) {
                case NEWLINE -> at++;
                case EOF -> {
                    if (open != null) {
                        throw error(t, "'}' to close the block opened at line " + open.line());
                    }
                    return out;
                }
                case RBRACE -> {
                    if (open != null) {
                        return out;
                    }
                    throw new ParseException(t.position(), "unexpected '}': no block is open");
                }
                default -> {
                    Statement st = statement();
                    if (st instanceof Statement.Requires r
                            && r.header()
                            && (open != null || out.stream().anyMatch(o -> !isHeader(o)))) {
                        throw new ParseException(
                                r.pos(),
                                "a 'requires' line without a block stands at the top of the file, before every"
                                        + " other statement; elsewhere write requires "
                                        + String.join(" ", new java.util.TreeSet<>(r.features()))
                                        + " { ... }");
                    }
                    out.add(st);
                    Token end = peek();
                    if (end.kind() == Token.Kind.NEWLINE) {
                        at++;
                    } else if (end.kind() != Token.Kind.EOF && !(end.kind() == Token.Kind.RBRACE && open != null)) {
                        throw error(end, "end of line");
                    }
                }
            }
        }
    }

    private static boolean isHeader(Statement st) {
        return st instanceof Statement.Requires r && r.header();
    }

    /**
     * {@code requires FEATURE... { body }}, or a header {@code requires FEATURE...} (checked by the
     * caller to stand at the top of the file).
     */
    private Statement requires(Position pos) throws ParseException {
        Set<String> features = new java.util.TreeSet<>();
        while (peek().kind() == Token.Kind.WORD) {
            Token f = next();
            if (!f.isPlainWord() || !FEATURES.contains(f.text())) {
                throw error(f, "a feature (" + String.join(", ", new java.util.TreeSet<>(FEATURES)) + ")");
            }
            features.add(f.text());
        }
        if (features.isEmpty()) {
            throw error(peek(), "a feature (" + String.join(", ", new java.util.TreeSet<>(FEATURES)) + ")");
        }
        if (peek().kind() == Token.Kind.LBRACE) {
            return new Statement.Requires(pos, features, block(Set.of()), false);
        }
        return new Statement.Requires(pos, features, List.of(), true);
    }

    private Statement statement() throws ParseException {
        Token t = next();
        if (!t.isPlainWord()) {
            throw error(t, STATEMENTS);
        }
        Position pos = t.position();
        OpKind op = OpKind.byKeyword(t.text());
        if (op != null) {
            return operation(pos, op);
        }
        return switch (t.text()) {
            case "reset" -> new Statement.Reset(pos);
            case "start" -> new Statement.NodeAction(pos, Statement.Action.START, node());
            case "stop" -> new Statement.NodeAction(pos, Statement.Action.STOP, node());
            case "kill" -> new Statement.NodeAction(pos, Statement.Action.KILL, node());
            case "restart" -> new Statement.NodeAction(pos, Statement.Action.RESTART, node());
            case "pause" -> new Statement.NodeAction(pos, Statement.Action.PAUSE, node());
            case "resume" -> new Statement.NodeAction(pos, Statement.Action.RESUME, node());
            case "clean" -> new Statement.NodeAction(pos, Statement.Action.CLEAN, node());
            case "wait" -> waitStatement(pos);
            case "use" -> new Statement.Use(pos, node());
            case "concurrent" -> concurrent(pos);
            case "repeat" -> repeat(pos);
            case "busy" -> new Statement.Busy(pos, integer(1, 64, "a number of busy threads (1..64)"), block(Set.of()));
            case "sleep" -> new Statement.Sleep(pos, duration());
            case "requires" -> requires(pos);
            case "run" -> run(pos);
            case "consistent" -> new Statement.Consistent(pos, optionalDuration());
            case "watch" -> watch(pos);
            case "changes" -> changes(pos);
            case "verify" -> new Statement.Verify(pos, optionalOn());
            default -> throw error(t, STATEMENTS);
        };
    }

    private Statement waitStatement(Position pos) throws ParseException {
        String node = node();
        Token t = next();
        WaitTarget target = null;
        if (t.isPlainWord()) {
            try {
                target = WaitTarget.valueOf(t.text().toUpperCase(Locale.ROOT));
            } catch (IllegalArgumentException notATarget) {
                target = null;
            }
        }
        if (target == null) {
            throw error(
                    t,
                    "a state (COLD_START, WARM_START, BOOTSTRAP, SYNC, SHUTTING_DOWN, SERVING),"
                            + " a role (PRIMARY, BACKUP), UP or DOWN");
        }
        return new Statement.Wait(pos, node, target, optionalDuration());
    }

    private Statement operation(Position pos, OpKind kind) throws ParseException {
        Optional<String> node = Optional.empty();
        if (kind.takesNodeFirst()) {
            node = Optional.of(node());
        }
        List<Template> args = new ArrayList<>();
        for (int n = 0; n < kind.arity(); n++) {
            Token t = next();
            if (t.kind() != Token.Kind.WORD) {
                throw error(t, n == 0 ? "a key" : "a value (quote it if it has blanks: \"a b\")");
            }
            args.add(checked(t));
        }
        if (!kind.takesNodeFirst()) {
            node = optionalOn();
        }
        Expectation expectation = new Expectation.Ok();
        if (peek().is("expect")) {
            at++;
            expectation = expectation(kind);
        } else if (peek().kind() == Token.Kind.WORD) {
            throw error(
                    peek(), kind.takesNodeFirst() ? "'expect' or end of line" : "'on <node>', 'expect' or end of line");
        }
        return new Statement.Operation(pos, kind, args, node, expectation);
    }

    private Expectation expectation(OpKind kind) throws ParseException {
        Token t = next();
        String allowed = switch (kind) {
            case GET -> "a value, missing, ok, fail, any or a status code";
            case EXISTS -> "true, false, ok, fail, any or a status code";
            case COUNTKEY -> "a count, ok, fail, any or a status code";
            case TTL ->
                "a duration (the most it may have left, e.g. 10s), none, missing, ok, fail, any or a status code";
            case DUMP -> "'{ key value ... }', ok, fail, any or a status code";
            case PROMOTE, SHUTDOWN -> "ok, fail, any or a status code";
            default -> "ok, fail, any, missing or a status code";
        };
        if (t.kind() == Token.Kind.LBRACE && kind == OpKind.DUMP) {
            return entries(t.position());
        }
        if (t.kind() != Token.Kind.WORD) {
            throw error(t, allowed);
        }
        if (t.isPlainWord()) {
            String w = t.text();
            switch (w) {
                case "ok":
                    return new Expectation.Ok();
                case "fail":
                    return new Expectation.Fail();
                case "any":
                    return new Expectation.Any();
                default:
                    break;
            }
            if (FailureCode.NAMES.contains(w)) {
                return new Expectation.Code(w);
            }
            if (w.equals("missing")
                    && kind != OpKind.EXISTS
                    && kind != OpKind.COUNTKEY
                    && kind != OpKind.DUMP
                    && !kind.takesNodeFirst()) {
                return new Expectation.Missing();
            }
            if (kind == OpKind.EXISTS && (w.equals("true") || w.equals("false"))) {
                return new Expectation.Flag(Boolean.parseBoolean(w));
            }
            if (kind == OpKind.COUNTKEY && INTEGER.matcher(w).matches()) {
                return new Expectation.Count(Long.parseLong(w));
            }
            if (kind == OpKind.TTL && w.equals("none")) {
                return new Expectation.NoDeadline();
            }
            if (kind == OpKind.TTL && DURATION.matcher(w).matches()) {
                return new Expectation.TtlAtMost(durationOf(w));
            }
        }
        if (kind == OpKind.GET) {
            return new Expectation.Value(checked(t));
        }
        throw error(t, allowed);
    }

    private Statement watch(Position pos) throws ParseException {
        String name = watchName();
        boolean prefix = false;
        if (peek().is("prefix")) {
            at++;
            prefix = true;
        }
        Token t = next();
        if (t.kind() != Token.Kind.WORD) {
            throw error(t, prefix ? "a key prefix" : "a key, or 'prefix' and a key prefix");
        }
        Template key = checked(t);
        return new Statement.Watch(pos, name, key, prefix, optionalOn());
    }

    private Statement changes(Position pos) throws ParseException {
        String name = watchName();
        Optional<Duration> timeout = peek().kind() == Token.Kind.WORD ? Optional.of(duration()) : Optional.empty();
        Token open = next();
        if (open.kind() != Token.Kind.LBRACE) {
            throw error(open, "'{' and the changes: set KEY VALUE, delete KEY, expired KEY");
        }
        List<Statement.Change> list = new ArrayList<>();
        while (true) {
            Token t = next();
            if (t.kind() == Token.Kind.NEWLINE) {
                continue;
            }
            if (t.kind() == Token.Kind.RBRACE) {
                return new Statement.Changes(pos, name, list, timeout);
            }
            if (!t.isPlainWord() || !List.of("set", "delete", "expired").contains(t.text())) {
                throw error(
                        t,
                        "set, delete, expired or '}' to close the changes opened at line "
                                + open.position().line());
            }
            Token k = next();
            if (k.kind() != Token.Kind.WORD) {
                throw error(k, "the key of " + t.text());
            }
            Template value = null;
            if (t.text().equals("set")) {
                Token v = next();
                if (v.kind() != Token.Kind.WORD) {
                    throw error(v, "the value of set " + k.describe());
                }
                value = checked(v);
            }
            list.add(new Statement.Change(t.text(), checked(k), value));
        }
    }

    private Expectation entries(Position open) throws ParseException {
        List<Expectation.Pair> pairs = new ArrayList<>();
        while (true) {
            Token t = next();
            if (t.kind() == Token.Kind.NEWLINE) {
                continue;
            }
            if (t.kind() == Token.Kind.RBRACE) {
                return new Expectation.Entries(pairs);
            }
            if (t.kind() != Token.Kind.WORD) {
                throw error(t, "a key or '}' to close the dump opened at line " + open.line());
            }
            Template key = checked(t);
            Token v = next();
            while (v.kind() == Token.Kind.NEWLINE) {
                v = next();
            }
            if (v.kind() != Token.Kind.WORD) {
                throw error(v, "the value of key " + t.describe());
            }
            pairs.add(new Expectation.Pair(key, checked(v)));
        }
    }

    private Statement concurrent(Position pos) throws ParseException {
        OptionalInt workers = OptionalInt.empty();
        if (peek().kind() == Token.Kind.WORD) {
            workers =
                    OptionalInt.of(integer(1, MAX_WORKERS, "a number of workers from 1 to " + MAX_WORKERS + " or '{'"));
        }
        List<Statement> body = block(Set.of("i", "worker"));
        List<Statement> side = List.of();
        if (peek().is("alongside")) {
            at++;
            side = block(Set.of());
        }
        return new Statement.Concurrent(pos, workers, body, side);
    }

    private Statement repeat(Position pos) throws ParseException {
        int times = integer(0, Integer.MAX_VALUE, "a number of repetitions");
        return new Statement.Repeat(pos, times, block(Set.of("i")));
    }

    private List<Statement> block(Set<String> binds) throws ParseException {
        Token open = next();
        if (open.kind() != Token.Kind.LBRACE) {
            throw error(open, "'{'");
        }
        scopes.push(binds);
        try {
            List<Statement> body = statements(open.position());
            next(); // the '}' that statements() stopped at
            return body;
        } finally {
            scopes.pop();
        }
    }

    private Statement run(Position pos) throws ParseException {
        List<Template> argv = new ArrayList<>();
        while (!peek().is("expect")) {
            Token t = next();
            if (t.kind() != Token.Kind.WORD) {
                throw error(t, argv.isEmpty() ? "a program to run" : "an argument or 'expect <exit code>'");
            }
            argv.add(checked(t));
        }
        if (argv.isEmpty()) {
            throw error(peek(), "a program to run");
        }
        at++; // expect
        int code = integer(0, 255, "an exit code from 0 to 255");
        return new Statement.Run(pos, argv, code);
    }

    private Optional<String> optionalOn() throws ParseException {
        if (peek().is("on")) {
            at++;
            return Optional.of(node());
        }
        return Optional.empty();
    }

    private String watchName() throws ParseException {
        Token t = next();
        if (!t.isPlainWord() || !NODE_NAME.matcher(t.text()).matches()) {
            throw error(t, "a name for the watch, such as w1");
        }
        return t.text();
    }

    private String node() throws ParseException {
        Token t = next();
        if (!t.isPlainWord() || !NODE_NAME.matcher(t.text()).matches()) {
            throw error(t, "a node name such as primary or backup");
        }
        return t.text();
    }

    private Optional<Duration> optionalDuration() throws ParseException {
        return peek().kind() == Token.Kind.WORD ? Optional.of(duration()) : Optional.empty();
    }

    private Duration duration() throws ParseException {
        Token t = next();
        if (!t.isPlainWord() || !DURATION.matcher(t.text()).matches()) {
            throw error(t, "a duration such as 500ms, 5s or 1m");
        }
        return durationOf(t.text());
    }

    /** A duration word (500ms, 5s, 1m); null when the word is not one. */
    public static Duration durationOf(String word) {
        Matcher m = DURATION.matcher(word);
        if (!m.matches()) {
            return null;
        }
        long n = Long.parseLong(m.group(1));
        return switch (m.group(2)) {
            case "ms" -> Duration.ofMillis(n);
            case "s" -> Duration.ofSeconds(n);
            default -> Duration.ofMinutes(n);
        };
    }

    private int integer(long min, long max, String what) throws ParseException {
        Token t = next();
        if (!t.isPlainWord() || !INTEGER.matcher(t.text()).matches()) {
            throw error(t, what);
        }
        long n = Long.parseLong(t.text());
        if (n < min || n > max) {
            throw error(t, what);
        }
        return (int) n;
    }

    /** The word's template, after checking that each of its variables exists here. */
    private Template checked(Token t) throws ParseException {
        for (Template.Part p : t.value().parts()) {
            if (p instanceof Template.Variable v && !bound(v.name())) {
                String hint = (v.name().equals("i") || v.name().equals("worker"))
                        ? "${" + v.name() + "} exists only inside "
                                + (v.name().equals("i") ? "repeat or concurrent" : "concurrent")
                        : "expected i, worker, <node>.grpc, <node>.http or fill:N (N up to 67108864)";
                throw new ParseException(v.position(), "unknown variable ${" + v.name() + "}: " + hint);
            }
        }
        return t.value();
    }

    private boolean bound(String name) {
        if (ADDRESS_VARIABLE.matcher(name).matches()) {
            return true;
        }
        Matcher fill = FILL_VARIABLE.matcher(name);
        if (fill.matches()) {
            return Long.parseLong(fill.group(1)) <= 64L * 1024 * 1024;
        }
        Set<String> all = new HashSet<>();
        scopes.forEach(all::addAll);
        return all.contains(name);
    }

    private Token peek() {
        return tokens.get(at);
    }

    private Token next() {
        Token t = tokens.get(at);
        if (t.kind() != Token.Kind.EOF) {
            at++;
        }
        return t;
    }

    private static ParseException error(Token found, String expected) {
        return new ParseException(found.position(), "expected " + expected + ", found " + found.describe());
    }
}
