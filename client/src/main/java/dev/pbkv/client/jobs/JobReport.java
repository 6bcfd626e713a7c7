package dev.pbkv.client.jobs;

import java.nio.file.Path;

/**
 * How one {@code .job} file went: where its results are, and how many of its lines failed (did
 * not parse, or their operation failed). {@code failure} is non-null when the file could not be
 * read or its {@code .out} could not be written at all.
 */
public record JobReport(Path job, Path out, int errors, String failure) {

    /** The line {@code bin/pbkv jobs} prints for this file. */
    public String summary() {
        if (failure != null) {
            return job.getFileName() + ": " + failure;
        }
        return job.getFileName() + " -> " + out.getFileName() + " (" + errors + (errors == 1 ? " error)" : " errors)");
    }
}
