package dev.pbkv.client.jobs;

import static org.assertj.core.api.Assertions.assertThat;

import dev.pbkv.client.jobs.JobStep.Backup;
import dev.pbkv.client.jobs.JobStep.Delete;
import dev.pbkv.client.jobs.JobStep.KeyValue;
import dev.pbkv.client.jobs.JobStep.Malformed;
import dev.pbkv.client.jobs.JobStep.Read;
import dev.pbkv.client.jobs.JobStep.Show;
import dev.pbkv.client.jobs.JobStep.Wait;
import dev.pbkv.client.jobs.JobStep.Write;
import java.util.List;
import org.junit.jupiter.api.Test;

class JobParserTest {

    private static List<JobStep> parse(String... lines) {
        return JobParser.parse(List.of(lines));
    }

    private static JobStep one(String line) {
        List<JobStep> steps = parse(line);
        assertThat(steps).hasSize(1);
        return steps.get(0);
    }

    private static String problem(String line) {
        JobStep step = one(line);
        assertThat(step).isInstanceOf(Malformed.class);
        return ((Malformed) step).problem();
    }

    @Test
    void everyCommandParsesWithItsLineNumber() {
        assertThat(parse("WRITE [(a,1)(b,2)]", "READ [a,b]", "DELETE [a]", "SHOW", "WAIT 250", "BACKUP"))
                .containsExactly(
                        new Write(1, List.of(new KeyValue("a", "1"), new KeyValue("b", "2"))),
                        new Read(2, List.of("a", "b")),
                        new Delete(3, List.of("a")),
                        new Show(4),
                        new Wait(5, 250),
                        new Backup(6));
    }

    @Test
    void commentsAndBlankLinesHaveNoStepButKeepTheNumbering() {
        assertThat(parse("# a comment", "", "   ", "  # indented comment", "\t", "SHOW", "#", "BACKUP"))
                .containsExactly(new Show(6), new Backup(8));
    }

    @Test
    void keysAndValuesAreTrimmedAndMayHoldInnerSpaces() {
        assertThat(one("  WRITE [ ( my key ,  hello world ) (b,2) ]  "))
                .isEqualTo(new Write(1, List.of(new KeyValue("my key", "hello world"), new KeyValue("b", "2"))));
        assertThat(one("READ [ my key , b ]")).isEqualTo(new Read(1, List.of("my key", "b")));
        assertThat(one("DELETE[x]")).isEqualTo(new Delete(1, List.of("x")));
        assertThat(one("WRITE[(a,#1)]")).isEqualTo(new Write(1, List.of(new KeyValue("a", "#1"))));
    }

    @Test
    void pairsMayBeSeparatedByACommaAndKeysMayRepeat() {
        assertThat(one("WRITE [(a,1), (a,2),(b,3)]"))
                .isEqualTo(
                        new Write(1, List.of(new KeyValue("a", "1"), new KeyValue("a", "2"), new KeyValue("b", "3"))));
        assertThat(one("READ [a,a]")).isEqualTo(new Read(1, List.of("a", "a")));
    }

    @Test
    void waitTakesZeroOrMoreWholeMilliseconds() {
        assertThat(one("WAIT 0")).isEqualTo(new Wait(1, 0));
        assertThat(problem("WAIT")).isEqualTo("WAIT needs a whole number of milliseconds, 0 or more");
        assertThat(problem("WAIT -5")).isEqualTo("WAIT needs a whole number of milliseconds, 0 or more, got '-5'");
        assertThat(problem("WAIT 1.5")).isEqualTo("WAIT needs a whole number of milliseconds, 0 or more, got '1.5'");
        assertThat(problem("WAIT 99999999999999999999"))
                .isEqualTo("WAIT: 99999999999999999999 milliseconds is too long");
    }

    @Test
    void unknownAndLowerCaseCommandsAreMalformed() {
        assertThat(problem("FOO [a]")).isEqualTo("unknown command 'FOO' (WRITE, READ, DELETE, SHOW, WAIT, BACKUP)");
        assertThat(problem("read [a]")).isEqualTo("unknown command 'read' (WRITE, READ, DELETE, SHOW, WAIT, BACKUP)");
    }

    @Test
    void showAndBackupTakeNoArguments() {
        assertThat(problem("SHOW [a]")).isEqualTo("SHOW takes no arguments, got '[a]'");
        assertThat(problem("BACKUP now")).isEqualTo("BACKUP takes no arguments, got 'now'");
    }

    @Test
    void bracketsAreRequiredAndMustHoldSomething() {
        assertThat(problem("READ")).isEqualTo("READ needs [key,...]");
        assertThat(problem("READ a,b")).isEqualTo("READ needs [key,...], got 'a,b'");
        assertThat(problem("DELETE [a")).isEqualTo("DELETE: missing ']' at the end of the line");
        assertThat(problem("READ [a] # trailing")).isEqualTo("READ: missing ']' at the end of the line");
        assertThat(problem("READ [ ]")).isEqualTo("READ needs at least one key");
        assertThat(problem("WRITE []")).isEqualTo("WRITE needs at least one (key,value)");
        assertThat(problem("WRITE (a,1)")).isEqualTo("WRITE needs [(key,value)...], got '(a,1)'");
    }

    @Test
    void emptyOrReservedKeysAndValuesAreMalformed() {
        assertThat(problem("READ [a,,b]")).isEqualTo("READ: key 2 is empty");
        assertThat(problem("READ [a(b]"))
                .isEqualTo("READ: key 1 'a(b' contains '(' (keys and values cannot hold ,()[])");
        assertThat(problem("WRITE [(a,)]")).isEqualTo("WRITE: pair 1: value is empty");
        assertThat(problem("WRITE [(a,1)( ,2)]")).isEqualTo("WRITE: pair 2: key is empty");
        assertThat(problem("WRITE [(a,1,2)]"))
                .isEqualTo("WRITE: pair 1: value '1,2' contains ',' (keys and values cannot hold ,()[])");
        assertThat(problem("WRITE [(a[,1)]"))
                .isEqualTo("WRITE: pair 1: key 'a[' contains '[' (keys and values cannot hold ,()[])");
    }

    @Test
    void malformedPairsSayWhichPairAndWhatIsWrong() {
        assertThat(problem("WRITE [(a,1)(b,2]")).isEqualTo("WRITE: pair 2: missing ')'");
        assertThat(problem("WRITE [(a 1)]")).isEqualTo("WRITE: pair 1: expected (key,value), got '(a 1)'");
        assertThat(problem("WRITE [(a,1) b]")).isEqualTo("WRITE: pair 2: expected '(' but found 'b'");
        assertThat(problem("WRITE [a,1]")).isEqualTo("WRITE: pair 1: expected '(' but found 'a,1'");
    }

    @Test
    void aMalformedLineTakesItsPlaceAndTheOtherLinesStillParse() {
        assertThat(parse("WRITE [(a,1)]", "# ok so far", "READ [a", "", "SHOW"))
                .containsExactly(
                        new Write(1, List.of(new KeyValue("a", "1"))),
                        new Malformed(3, "READ: missing ']' at the end of the line"),
                        new Show(5));
    }
}
