package dev.pbkv.client.jobs;

import java.util.List;

/**
 * One meaningful line of a {@code .job} file, as {@link JobParser} read it: a command to run, or a
 * line that did not parse ({@link Malformed}). Blank lines and comments have no step. {@code line}
 * is the 1-based line number in the file, for {@code file:line:} messages.
 */
public sealed interface JobStep {

    int line();

    /** {@code WRITE [(k,v)(k2,v2)]}: one put per pair, in order. */
    record Write(int line, List<KeyValue> pairs) implements JobStep {
        public Write {
            pairs = List.copyOf(pairs);
        }
    }

    /** {@code READ [k,k2]}: one get per key, in order. */
    record Read(int line, List<String> keys) implements JobStep {
        public Read {
            keys = List.copyOf(keys);
        }
    }

    /** {@code DELETE [k,k2]}: one delete per key, in order. */
    record Delete(int line, List<String> keys) implements JobStep {
        public Delete {
            keys = List.copyOf(keys);
        }
    }

    /** {@code SHOW}: every key and value of the pair, in key order. */
    record Show(int line) implements JobStep {}

    /** {@code WAIT <ms>}: this file pauses; the others go on. */
    record Wait(int line, long millis) implements JobStep {}

    /** {@code BACKUP}: the pair writes a backup. */
    record Backup(int line) implements JobStep {}

    /** A line that did not parse, and what is wrong with it. */
    record Malformed(int line, String problem) implements JobStep {}

    /** One {@code (key,value)} of a WRITE, both trimmed and non-empty. */
    record KeyValue(String key, String value) {}
}
