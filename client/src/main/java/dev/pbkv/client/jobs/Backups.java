package dev.pbkv.client.jobs;

/** How a job's {@code BACKUP} step reaches the pair. Called from several job threads at once. */
@FunctionalInterface
public interface Backups {

    /**
     * Has the pair write a backup named {@code name}; answers what the {@code .out} line shows
     * after {@code "BACKUP -> "}. A failure is thrown (a {@code PbkvException} from the pair, or
     * {@link Unavailable}) and reported as that step's {@code ERROR} line.
     */
    String backup(String name);

    /** For a pair that has no backup call: every BACKUP step fails with the same message. */
    static Backups unavailable() {
        return name -> {
            throw new Unavailable();
        };
    }

    /** No backup call on this pair (e.g. its nodes answer UNIMPLEMENTED: older than Admin.Backup). */
    final class Unavailable extends RuntimeException {
        public Unavailable() {
            super("backups are not available on this pair", null, false, false);
        }
    }
}
