package dev.pbkv.client.jobs;

import dev.pbkv.client.jobs.JobStep.KeyValue;
import java.util.ArrayList;
import java.util.List;

/**
 * Reads the lines of a {@code .job} file into {@link JobStep}s (the grammar is in docs/jobs.md).
 * A line that does not parse becomes a {@link JobStep.Malformed} in its place, so the caller
 * reports it and still runs the other lines. Stateless.
 *
 * <pre>
 * line    = blank | "#" anything | command
 * command = "WRITE" "[" pair { [","] pair } "]"
 *         | "READ" "[" key { "," key } "]" | "DELETE" "[" key { "," key } "]"
 *         | "SHOW" | "BACKUP" | "WAIT" digits
 * pair    = "(" key "," value ")"
 * </pre>
 *
 * Commands are upper case. Whitespace around a line, a bracket, a comma or a parenthesis is
 * ignored; a key or value is the text between its delimiters, trimmed, so it may hold inner
 * spaces but not {@code , ( ) [ ]}, and may not be empty.
 */
public final class JobParser {

    static final String COMMANDS = "WRITE, READ, DELETE, SHOW, WAIT, BACKUP";
    private static final String RESERVED = ",()[]";

    private JobParser() {}

    /** Every step of these lines, in order; line numbers start at 1. */
    public static List<JobStep> parse(List<String> lines) {
        List<JobStep> steps = new ArrayList<>();
        for (int i = 0; i < lines.size(); i++) {
            String text = lines.get(i).strip();
            if (text.isEmpty() || text.startsWith("#")) {
                continue;
            }
            steps.add(parseLine(i + 1, text));
        }
        return steps;
    }

    /** One non-blank, non-comment line, already stripped. */
    static JobStep parseLine(int line, String text) {
        int end = 0;
        while (end < text.length() && !Character.isWhitespace(text.charAt(end)) && text.charAt(end) != '[') {
            end++;
        }
        String verb = text.substring(0, end);
        String rest = text.substring(end).strip();
        try {
            return switch (verb) {
                case "WRITE" -> new JobStep.Write(line, pairs(bracketed(verb, rest)));
                case "READ" -> new JobStep.Read(line, keys(verb, bracketed(verb, rest)));
                case "DELETE" -> new JobStep.Delete(line, keys(verb, bracketed(verb, rest)));
                case "SHOW" -> new JobStep.Show(noArguments(line, verb, rest));
                case "BACKUP" -> new JobStep.Backup(noArguments(line, verb, rest));
                case "WAIT" -> new JobStep.Wait(line, millis(rest));
                default -> new JobStep.Malformed(line, "unknown command '" + verb + "' (" + COMMANDS + ")");
            };
        } catch (Problem p) {
            return new JobStep.Malformed(line, p.getMessage());
        }
    }

    /** The text between the brackets of "[...]". */
    private static String bracketed(String verb, String rest) {
        String form = "WRITE".equals(verb) ? "[(key,value)...]" : "[key,...]";
        if (!rest.startsWith("[")) {
            throw new Problem(verb + " needs " + form + (rest.isEmpty() ? "" : ", got '" + rest + "'"));
        }
        if (!rest.endsWith("]") || rest.length() < 2) {
            throw new Problem(verb + ": missing ']' at the end of the line");
        }
        String inner = rest.substring(1, rest.length() - 1);
        if (inner.isBlank()) {
            throw new Problem(verb + " needs at least one " + ("WRITE".equals(verb) ? "(key,value)" : "key"));
        }
        return inner;
    }

    private static List<String> keys(String verb, String inner) {
        List<String> keys = new ArrayList<>();
        String[] items = inner.split(",", -1);
        for (int i = 0; i < items.length; i++) {
            keys.add(item(verb + ": key " + (i + 1), items[i]));
        }
        return keys;
    }

    private static List<KeyValue> pairs(String inner) {
        List<KeyValue> pairs = new ArrayList<>();
        int i = 0;
        while (true) {
            i = skipSpaces(inner, i);
            if (!pairs.isEmpty() && i < inner.length() && inner.charAt(i) == ',') {
                i = skipSpaces(inner, i + 1); // an optional comma between pairs
            }
            if (i == inner.length()) {
                return pairs;
            }
            int n = pairs.size() + 1;
            if (inner.charAt(i) != '(') {
                throw new Problem("WRITE: pair " + n + ": expected '(' but found '" + inner.substring(i) + "'");
            }
            int close = inner.indexOf(')', i);
            if (close < 0) {
                throw new Problem("WRITE: pair " + n + ": missing ')'");
            }
            String body = inner.substring(i + 1, close);
            int comma = body.indexOf(',');
            if (comma < 0) {
                throw new Problem("WRITE: pair " + n + ": expected (key,value), got '(" + body + ")'");
            }
            String key = item("WRITE: pair " + n + ": key", body.substring(0, comma));
            String value = item("WRITE: pair " + n + ": value", body.substring(comma + 1));
            pairs.add(new KeyValue(key, value));
            i = close + 1;
        }
    }

    /** A key or value: trimmed, non-empty, without a reserved character. */
    private static String item(String what, String raw) {
        String s = raw.strip();
        if (s.isEmpty()) {
            throw new Problem(what + " is empty");
        }
        for (int i = 0; i < s.length(); i++) {
            if (RESERVED.indexOf(s.charAt(i)) >= 0) {
                throw new Problem(what + " '" + s + "' contains '" + s.charAt(i) + "' (keys and values cannot hold "
                        + RESERVED + ")");
            }
        }
        return s;
    }

    private static int noArguments(int line, String verb, String rest) {
        if (!rest.isEmpty()) {
            throw new Problem(verb + " takes no arguments, got '" + rest + "'");
        }
        return line;
    }

    private static long millis(String rest) {
        if (rest.isEmpty() || !rest.chars().allMatch(c -> c >= '0' && c <= '9')) {
            throw new Problem("WAIT needs a whole number of milliseconds, 0 or more"
                    + (rest.isEmpty() ? "" : ", got '" + rest + "'"));
        }
        try {
            return Long.parseLong(rest);
        } catch (NumberFormatException e) {
            throw new Problem("WAIT: " + rest + " milliseconds is too long");
        }
    }

    private static int skipSpaces(String s, int i) {
        while (i < s.length() && Character.isWhitespace(s.charAt(i))) {
            i++;
        }
        return i;
    }

    /** What is wrong with the line being parsed; caught in {@link #parseLine} and never escapes. */
    private static final class Problem extends RuntimeException {
        Problem(String message) {
            super(message, null, false, false);
        }
    }
}
