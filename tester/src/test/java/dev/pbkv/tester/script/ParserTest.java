package dev.pbkv.tester.script;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class ParserTest {

    private static List<Statement> parse(String text) throws ParseException {
        return Parser.parse("t.test", text).statements();
    }

    private static Statement one(String text) throws ParseException {
        List<Statement> all = parse(text);
        assertThat(all).hasSize(1);
        return all.get(0);
    }

    private static ParseException error(String text) {
        try {
            Parser.parse("t.test", text);
        } catch (ParseException e) {
            return e;
        }
        throw new AssertionError("no parse error for: " + text);
    }

    @Test
    void expireAndTtlTakeADurationAndTtlExpectsADurationNoneOrMissing() throws ParseException {
        Script s = Parser.parse(
                "t.test",
                "expire k 2s\nexpire k2 500ms on backup expect missing\nttl k expect 2s\nttl k expect none\n"
                        + "ttl k on backup expect missing\n");
        Statement.Operation expire = (Statement.Operation) s.statements().get(0);
        assertThat(expire.kind()).isEqualTo(OpKind.EXPIRE);
        assertThat(expire.args()).extracting(Template::source).containsExactly("k", "2s");
        assertThat(((Statement.Operation) s.statements().get(1)).node()).hasValue("backup");
        assertThat(((Statement.Operation) s.statements().get(2)).expectation())
                .isEqualTo(new Expectation.TtlAtMost(java.time.Duration.ofSeconds(2)));
        assertThat(((Statement.Operation) s.statements().get(3)).expectation())
                .isInstanceOf(Expectation.NoDeadline.class);
        assertThat(((Statement.Operation) s.statements().get(4)).expectation()).isInstanceOf(Expectation.Missing.class);
        assertThatThrownBy(() -> Parser.parse("t.test", "ttl k expect soon\n"))
                .isInstanceOf(ParseException.class)
                .hasMessageContaining("a duration (the most it may have left");
        assertThatThrownBy(() -> Parser.parse("t.test", "expire k\n")).isInstanceOf(ParseException.class);
        assertThat(Parser.durationOf("2s")).isEqualTo(java.time.Duration.ofSeconds(2));
        assertThat(Parser.durationOf("soon")).isNull();
    }

    @Test
    void watchNamesAKeyOrAPrefixAndChangesListsSetsDeletesAndExpiries() throws ParseException {
        Script s = Parser.parse(
                "t.test",
                "watch w1 k\nwatch w2 prefix p/ on backup\nchanges w1 5s { set k v\n delete k expired k }\n"
                        + "changes w2 { }\n");
        Statement.Watch one = (Statement.Watch) s.statements().get(0);
        assertThat(one.name()).isEqualTo("w1");
        assertThat(one.key().source()).isEqualTo("k");
        assertThat(one.prefix()).isFalse();
        Statement.Watch two = (Statement.Watch) s.statements().get(1);
        assertThat(two.prefix()).isTrue();
        assertThat(two.node()).hasValue("backup");
        Statement.Changes changes = (Statement.Changes) s.statements().get(2);
        assertThat(changes.timeout()).hasValue(java.time.Duration.ofSeconds(5));
        assertThat(changes.changes()).extracting(Statement.Change::type).containsExactly("set", "delete", "expired");
        assertThat(changes.changes().get(0).value().source()).isEqualTo("v");
        assertThat(changes.changes().get(1).value()).isNull();
        assertThat(((Statement.Changes) s.statements().get(3)).changes()).isEmpty();
        assertThatThrownBy(() -> Parser.parse("t.test", "changes w1 { put k v }\n"))
                .isInstanceOf(ParseException.class)
                .hasMessageContaining("set, delete, expired or '}'");
        assertThatThrownBy(() -> Parser.parse("t.test", "changes w1 { set k }\n"))
                .isInstanceOf(ParseException.class)
                .hasMessageContaining("the value of set");
        assertThatThrownBy(() -> Parser.parse("t.test", "watch\n"))
                .isInstanceOf(ParseException.class)
                .hasMessageContaining("a name for the watch");
    }

    @Test
    void requiresMarksACaseOrSomeOfItsStatements() throws ParseException {
        Script s = Parser.parse(
                "t.test",
                "# a comment\nrequires pbkv\nrequires alone\nreset\n"
                        + "requires pbkv { insert x y on backup expect fail }\n"
                        + "requires strict pbkv {\n  insert a b expect fail\n  repeat 2 { get a expect missing }\n}\n");
        assertThat(s.requires()).containsExactlyInAnyOrder("pbkv", "alone");
        assertThat(s.statements()).hasSize(3);
        assertThat(s.statements().get(0)).isInstanceOf(Statement.Reset.class);
        Statement.Requires one = (Statement.Requires) s.statements().get(1);
        assertThat(one.features()).containsExactly("pbkv");
        assertThat(one.header()).isFalse();
        assertThat(one.body()).singleElement().isInstanceOf(Statement.Operation.class);
        Statement.Requires two = (Statement.Requires) s.statements().get(2);
        assertThat(two.features()).containsExactlyInAnyOrder("strict", "pbkv");
        assertThat(two.body()).hasSize(2);
        assertThat(Parser.parse("t.test", "reset\n").requires()).isEmpty();
        assertThat(Parser.FEATURES).isEqualTo(dev.pbkv.tester.config.Contract.FEATURES);
    }

    @Test
    void requiresErrors() {
        assertThat(error("reset\nrequires pbkv\n").getMessage())
                .isEqualTo("t.test:2:1: a 'requires' line without a block stands at the top of the file, before"
                        + " every other statement; elsewhere write requires pbkv { ... }");
        assertThat(error("repeat 2 { requires pbkv }\n").getMessage())
                .startsWith("t.test:1:12: a 'requires' line without a block stands at the top");
        assertThat(error("requires gold { reset }\n").getMessage())
                .isEqualTo("t.test:1:10: expected a feature (alone, pbkv, strict), found 'gold'");
        assertThat(error("requires\nreset\n").getMessage())
                .startsWith("t.test:1:9: expected a feature (alone, pbkv, strict), found end of line");
    }

    @Test
    void busyRunsItsBodyWithSpinningThreads() throws ParseException {
        Statement.Busy b = (Statement.Busy) one("busy 2 { kill primary\n wait backup PRIMARY 10s }");
        assertThat(b.threads()).isEqualTo(2);
        assertThat(b.body()).hasSize(2);
        assertThatThrownBy(() -> parse("busy 0 { sleep 1s }")).isInstanceOf(ParseException.class);
    }

    @Test
    void commentsAndBlankLinesAreSkipped() throws ParseException {
        List<Statement> s = parse("# a comment\n\n   # another\nreset   # trailing\n\n");
        assertThat(s).singleElement().isInstanceOf(Statement.Reset.class);
        assertThat(s.get(0).pos()).isEqualTo(new Position("t.test", 4, 1));
    }

    @Test
    void nodeActions() throws ParseException {
        List<Statement> s = parse("start primary\nstop backup\nkill primary\nrestart backup\n");
        assertThat(s)
                .containsExactly(
                        new Statement.NodeAction(new Position("t.test", 1, 1), Statement.Action.START, "primary"),
                        new Statement.NodeAction(new Position("t.test", 2, 1), Statement.Action.STOP, "backup"),
                        new Statement.NodeAction(new Position("t.test", 3, 1), Statement.Action.KILL, "primary"),
                        new Statement.NodeAction(new Position("t.test", 4, 1), Statement.Action.RESTART, "backup"));
    }

    @Test
    void pauseResumeAndClean() throws ParseException {
        assertThat(parse("pause primary\nresume primary\nclean backup\n"))
                .extracting(s -> ((Statement.NodeAction) s).action())
                .containsExactly(Statement.Action.PAUSE, Statement.Action.RESUME, Statement.Action.CLEAN);
    }

    @Test
    void fillMakesLongValues() throws ParseException {
        Statement.Operation op = (Statement.Operation) one("insert k ${fill:3}y");
        assertThat(op.args().get(1).render(n -> n.equals("fill:3") ? "xxx" : "?"))
                .isEqualTo("xxxy");
        assertThat(error("insert k ${fill:99999999}").getMessage()).contains("unknown variable ${fill:99999999}");
        assertThat(((Statement.Wait) one("wait primary SERVING")).target()).isEqualTo(WaitTarget.SERVING);
    }

    @Test
    void waitWithAndWithoutTimeout() throws ParseException {
        Statement.Wait w = (Statement.Wait) one("wait primary SYNC 10s");
        assertThat(w.node()).isEqualTo("primary");
        assertThat(w.target()).isEqualTo(WaitTarget.SYNC);
        assertThat(w.timeout()).contains(Duration.ofSeconds(10));
        Statement.Wait w2 = (Statement.Wait) one("wait backup down");
        assertThat(w2.target()).isEqualTo(WaitTarget.DOWN);
        assertThat(w2.timeout()).isEmpty();
        assertThat(((Statement.Wait) one("wait backup PRIMARY 500ms")).timeout())
                .contains(Duration.ofMillis(500));
        assertThat(((Statement.Wait) one("wait backup UP 1m")).timeout()).contains(Duration.ofMinutes(1));
    }

    @Test
    void writesWithExpectations() throws ParseException {
        Statement.Operation ins = (Statement.Operation) one("insert k1 v1");
        assertThat(ins.kind()).isEqualTo(OpKind.INSERT);
        assertThat(ins.args()).extracting(Template::source).containsExactly("k1", "v1");
        assertThat(ins.expectation()).isEqualTo(new Expectation.Ok());
        assertThat(ins.node()).isEmpty();

        Statement.Operation upd = (Statement.Operation) one("update k1 \"a value\" on backup expect fail");
        assertThat(upd.args().get(1).render(n -> "")).isEqualTo("a value");
        assertThat(upd.node()).contains("backup");
        assertThat(upd.expectation()).isEqualTo(new Expectation.Fail());

        assertThat(((Statement.Operation) one("put k v expect any")).expectation())
                .isEqualTo(new Expectation.Any());
        assertThat(((Statement.Operation) one("delete k expect missing")).expectation())
                .isEqualTo(new Expectation.Missing());
        assertThat(((Statement.Operation) one("insert k v expect ALREADY_EXISTS")).expectation())
                .isEqualTo(new Expectation.Code("ALREADY_EXISTS"));
    }

    @Test
    void readsWithExpectations() throws ParseException {
        Statement.Operation get = (Statement.Operation) one("get k1 expect v1");
        assertThat(((Expectation.Value) get.expectation()).value().source()).isEqualTo("v1");
        assertThat(((Statement.Operation) one("get k expect missing")).expectation())
                .isEqualTo(new Expectation.Missing());
        // A quoted keyword is a value, not the keyword.
        Statement.Operation quoted = (Statement.Operation) one("get k expect \"missing\"");
        assertThat(quoted.expectation()).isInstanceOf(Expectation.Value.class);
        assertThat(((Statement.Operation) one("get k expect NOT_FOUND")).expectation())
                .isEqualTo(new Expectation.Code("NOT_FOUND"));
        assertThat(((Statement.Operation) one("exists k expect true")).expectation())
                .isEqualTo(new Expectation.Flag(true));
        assertThat(((Statement.Operation) one("exists k on backup expect false")).expectation())
                .isEqualTo(new Expectation.Flag(false));
        assertThat(((Statement.Operation) one("countkey expect 42")).expectation())
                .isEqualTo(new Expectation.Count(42));
        assertThat(((Statement.Operation) one("countkey on backup")).node()).contains("backup");
        Statement.Operation dump = (Statement.Operation) one("dump expect { a 1 \"b c\" 2 }");
        Expectation.Entries e = (Expectation.Entries) dump.expectation();
        assertThat(e.pairs())
                .extracting(p -> p.key().source() + "=" + p.value().source())
                .containsExactly("a=1", "b c=2");
        assertThat(((Expectation.Entries) ((Statement.Operation) one("dump expect {}")).expectation()).pairs())
                .isEmpty();
        Statement.Operation multi = (Statement.Operation) one("dump on backup expect {\n  a 1\n  b 2\n}");
        assertThat(((Expectation.Entries) multi.expectation()).pairs()).hasSize(2);
    }

    @Test
    void promoteAndShutdownNameTheirNodeFirst() throws ParseException {
        Statement.Operation p = (Statement.Operation) one("promote backup expect ok");
        assertThat(p.kind()).isEqualTo(OpKind.PROMOTE);
        assertThat(p.node()).contains("backup");
        Statement.Operation s = (Statement.Operation) one("shutdown primary");
        assertThat(s.kind()).isEqualTo(OpKind.SHUTDOWN);
        assertThat(s.node()).contains("primary");
    }

    @Test
    void blocksWithVariables() throws ParseException {
        Statement.Concurrent c =
                (Statement.Concurrent) one("concurrent 4 {\n  repeat 10 {\n    put k${worker}_${i} v${i}\n  }\n}\n");
        assertThat(c.workers()).isEqualTo(OptionalInt.of(4));
        Statement.Repeat r = (Statement.Repeat) c.body().get(0);
        assertThat(r.times()).isEqualTo(10);
        Statement.Operation put = (Statement.Operation) r.body().get(0);
        assertThat(put.args().get(0).render(Map.of("worker", "3", "i", "7")::get))
                .isEqualTo("k3_7");
        assertThat(put.pos()).isEqualTo(new Position("t.test", 3, 5));

        Statement.Concurrent d = (Statement.Concurrent) one("concurrent {\n get k${i}\n}");
        assertThat(d.workers()).isEmpty();
        assertThat(d.alongside()).isEmpty();
    }

    @Test
    void oneLineBlocksAndAlongside() throws ParseException {
        Statement.Repeat r = (Statement.Repeat) one("repeat 3 { insert k${i} v }");
        assertThat(r.body()).hasSize(1);
        Statement.Concurrent c = (Statement.Concurrent)
                one("concurrent 2 {\n put a${worker} b expect any\n} alongside {\n sleep 100ms\n stop primary\n}");
        assertThat(c.body()).hasSize(1);
        assertThat(c.alongside()).hasSize(2);
        assertThat(c.alongside().get(1)).isInstanceOf(Statement.NodeAction.class);
    }

    @Test
    void otherStatements() throws ParseException {
        assertThat(one("sleep 250ms"))
                .isEqualTo(new Statement.Sleep(new Position("t.test", 1, 1), Duration.ofMillis(250)));
        Statement.Run run = (Statement.Run) one("run bin/pbkv promote --server ${backup.grpc} expect 0");
        assertThat(run.argv())
                .extracting(Template::source)
                .containsExactly("bin/pbkv", "promote", "--server", "${backup.grpc}");
        assertThat(run.exitCode()).isZero();
        assertThat(((Statement.Consistent) one("consistent")).timeout()).isEmpty();
        assertThat(((Statement.Consistent) one("consistent 5s")).timeout()).contains(Duration.ofSeconds(5));
        assertThat(((Statement.Verify) one("verify")).node()).isEmpty();
        assertThat(((Statement.Verify) one("verify on backup")).node()).isEqualTo(Optional.of("backup"));
        assertThat(one("use backup")).isEqualTo(new Statement.Use(new Position("t.test", 1, 1), "backup"));
    }

    @Test
    void quotedStringsTakeEscapes() throws ParseException {
        Statement.Operation op = (Statement.Operation) one("put \"a key\" \"say \\\"hi\\\"\\t\\$x \\\\\"");
        assertThat(op.args().get(0).render(n -> "")).isEqualTo("a key");
        assertThat(op.args().get(1).render(n -> "")).isEqualTo("say \"hi\"\t$x \\");
    }

    @Test
    void windowsLineEndsCountAsOne() throws ParseException {
        List<Statement> s = parse("reset\r\nget k\r\n");
        assertThat(s.get(1).pos()).isEqualTo(new Position("t.test", 2, 1));
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(
            delimiter = '|',
            value = {
                "frobnicate k|1|1|expected a statement",
                "insert k|1|9|expected a value",
                "insert|1|7|expected a key",
                "get k expect|1|13|expected a value, missing, ok, fail, any or a status code",
                "get k extra|1|7|expected 'on <node>', 'expect' or end of line",
                "countkey expect lots|1|17|expected a count",
                "exists k expect maybe|1|17|expected true, false",
                "dump expect v|1|13|expected '{ key value ... }'",
                "insert k v expect v2|1|19|expected ok, fail, any, missing or a status code",
                "wait primary SOON|1|14|expected a state (COLD_START",
                "wait primary SYNC soon|1|19|expected a duration such as 500ms, 5s or 1m",
                "sleep 5|1|7|expected a duration",
                "start|1|6|expected a node name",
                "start \"primary\"|1|7|expected a node name",
                "repeat x {|1|8|expected a number of repetitions",
                "repeat 3|1|9|expected '{'",
                "concurrent 0 {|1|12|expected a number of workers",
                "run expect 0|1|5|expected a program to run",
                "run ls -l|1|10|expected an argument or 'expect <exit code>'",
                "run ls expect 300|1|15|expected an exit code from 0 to 255",
                "}|1|1|unexpected '}': no block is open",
                "reset now|1|7|expected end of line",
                "promote backup please|1|16|expected 'expect' or end of line",
                "get \"k|1|5|unterminated string",
                "get \"k\\q\"|1|7|unknown escape",
                "get a\"b\"|1|6|unexpected '\"' inside a word",
                "get k${i}|1|6|unknown variable ${i}: ${i} exists only inside repeat or concurrent",
                "repeat 2 { get k${worker} }|1|17|unknown variable ${worker}",
                "get k${nope}|1|6|unknown variable ${nope}: expected i, worker, <node>.grpc, <node>.http or fill:N",
                "get k${|1|6|unterminated ${",
                "get k${}|1|6|empty ${}",
                "get k${a b}|1|9|unexpected ' ' in ${...}",
            })
    void errorsNameLineColumnAndWhatWasExpected(String text, int line, int column, String message) {
        ParseException e = error(text);
        assertThat(e.position()).isEqualTo(new Position("t.test", line, column));
        assertThat(e.getMessage())
                .startsWith("t.test:" + line + ":" + column + ": ")
                .contains(message);
    }

    @Test
    void unclosedBlockNamesWhereItOpened() {
        ParseException e = error("reset\nrepeat 3 {\n  get k\n");
        assertThat(e.getMessage())
                .isEqualTo("t.test:4:1: expected '}' to close the block opened at line 2, found end of file");
    }

    @Test
    void errorOnALaterLine() {
        ParseException e = error("reset\ninsert a b\n  get a expect b c\n");
        assertThat(e.getMessage()).isEqualTo("t.test:3:18: expected end of line, found 'c'");
    }

    @Test
    void unclosedDump() {
        ParseException e = error("dump expect { a 1\n");
        assertThat(e.getMessage()).contains("t.test:2:1").contains("close the dump opened at line 1");
    }
}
