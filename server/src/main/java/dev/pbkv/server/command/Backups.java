package dev.pbkv.server.command;

import com.google.common.util.concurrent.ThreadFactoryBuilder;
import dev.pbkv.server.config.BackupSettings;
import dev.pbkv.server.replication.Replicator;
import dev.pbkv.server.role.Role;
import dev.pbkv.store.BackupInfo;
import dev.pbkv.store.Store;
import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The node's backups (docs/persistence.md, "Backups"): who may take one (the primary, serving),
 * how many run at once (backup.max-concurrent; past it refused or queued, backup.wait-when-busy),
 * the file's name, and when it counts (once its offset is committed, so a backup never holds a
 * write a failover could lose). The file itself is written by the store, on this class's
 * "pbkv-backup" threads, while writes go on.
 */
final class Backups implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(Backups.class);
    private static final DateTimeFormatter UTC_STAMP =
            DateTimeFormatter.ofPattern("yyyyMMdd'T'HHmmss.SSS'Z'").withZone(ZoneOffset.UTC);

    private final Store store;
    private final Replicator replicator;
    private final BackupSettings settings;
    private final Path dir;
    private final Clock clock;
    /** Permits: backups that may still start; one is held from the start of a backup to its end. */
    private final Semaphore slots;

    private final ExecutorService executor;
    /** Epoch ms of the newest successful backup (0: none); only grows. */
    private volatile long lastSuccessMillis;

    Backups(Store store, Replicator replicator, BackupSettings settings, Path dir, Clock clock) {
        this.store = store;
        this.replicator = replicator;
        this.settings = settings;
        this.dir = dir.toAbsolutePath();
        this.clock = clock;
        this.slots = new Semaphore(settings.maxConcurrent(), true);
        this.executor = Executors.newCachedThreadPool(new ThreadFactoryBuilder()
                .setNameFormat("pbkv-backup-%d")
                .setDaemon(true)
                .build());
        this.lastSuccessMillis = newestBackupMillis(this.dir);
    }

    /** Epoch seconds of the last successful backup: this process's, else the newest file's in the directory; 0 when none. */
    long lastSuccessSeconds() {
        return TimeUnit.MILLISECONDS.toSeconds(lastSuccessMillis);
    }

    /**
     * Writes a backup named name (empty: backup-&lt;offset&gt;-&lt;utc time&gt;.pbkb) into the
     * backup directory. Completes with the file written, or a failure: INVALID_ARGUMENT (a name
     * with a path in it), UNAVAILABLE (not the serving primary), RESOURCE_EXHAUSTED (busy),
     * ALREADY_EXISTS, INTERNAL (I/O).
     */
    CompletableFuture<Reply<BackupAck>> run(String name) {
        String refusal = badName(name);
        if (refusal != null) {
            return done(Reply.failure(ErrorCode.INVALID_ARGUMENT, refusal));
        }
        if (replicator.role() != Role.PRIMARY || !replicator.canServeReads(false)) {
            return done(new Reply.Failure<>(
                    ErrorCode.UNAVAILABLE,
                    "this node is "
                            + (replicator.role() == Role.PRIMARY ? "in state " + replicator.state() : "a backup")
                            + "; backups are taken on the serving primary (refused, nothing written)",
                    replicator.primaryAddress()));
        }
        boolean holding = false;
        if (!settings.waitWhenBusy()) {
            if (!slots.tryAcquire()) {
                return done(Reply.failure(
                        ErrorCode.RESOURCE_EXHAUSTED,
                        settings.maxConcurrent() + " backups are running (backup.max-concurrent = "
                                + settings.maxConcurrent() + ")"));
            }
            holding = true;
        }
        boolean acquired = holding;
        CompletableFuture<Reply<BackupAck>> result = new CompletableFuture<>();
        try {
            executor.execute(() -> {
                if (!acquired) {
                    slots.acquireUninterruptibly();
                }
                try {
                    write(name).whenComplete((r, t) -> {
                        slots.release();
                        if (t != null) {
                            result.completeExceptionally(t);
                        } else {
                            result.complete(r);
                        }
                    });
                } catch (RuntimeException e) {
                    slots.release();
                    result.completeExceptionally(e);
                }
            });
        } catch (java.util.concurrent.RejectedExecutionException e) {
            if (acquired) {
                slots.release();
            }
            return done(Reply.failure(ErrorCode.UNAVAILABLE, "this node is shutting down"));
        }
        return result;
    }

    /** Backup thread: writes the file, then waits until its offset is committed. */
    private CompletableFuture<Reply<BackupAck>> write(String name) {
        long started = System.nanoTime();
        BackupInfo info;
        try {
            info = store.writeBackup(
                    dir,
                    offset -> name.isEmpty()
                            ? "backup-" + offset + "-" + UTC_STAMP.format(clock.instant()) + ".pbkb"
                            : name);
        } catch (FileAlreadyExistsException e) {
            return done(Reply.failure(
                    ErrorCode.ALREADY_EXISTS, "a backup named " + e.getFile() + " exists; choose another name"));
        } catch (IOException e) {
            log.warn("backup failed: {}", e.toString());
            return done(Reply.failure(ErrorCode.INTERNAL, "backup failed: " + e.getMessage()));
        }
        return replicator.awaitCommitted(info.offset()).handle((v, t) -> {
            if (t != null) {
                deleteQuietly(info.file());
                return new Reply.Failure<>(
                        ErrorCode.UNAVAILABLE,
                        "the backup's offset " + info.offset() + " could not be confirmed committed (" + t.getMessage()
                                + "); the file was deleted",
                        replicator.primaryAddress());
            }
            long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started);
            lastSuccessMillis = Math.max(lastSuccessMillis, clock.millis());
            log.info(
                    "backup {} written: offset {}, {} keys, {} bytes, {} ms",
                    info.file(),
                    info.offset(),
                    info.keys(),
                    info.bytes(),
                    ms);
            return Reply.success(new BackupAck(info.file().toString(), info.offset(), info.keys(), info.bytes(), ms));
        });
    }

    /** Why name is not a plain file name, or null when it is. */
    static String badName(String name) {
        if (name == null) {
            return "the backup name is missing";
        }
        if (name.contains("/") || name.contains("\\") || name.contains("\0") || name.equals(".") || name.equals("..")) {
            return "the backup name '" + name + "' must be a file name without path separators";
        }
        if (name.length() > 200 || name.startsWith(".backup-")) {
            return "the backup name '" + name + "' is too long or reserved";
        }
        return null;
    }

    private static long newestBackupMillis(Path dir) {
        if (!Files.isDirectory(dir)) {
            return 0;
        }
        long newest = 0;
        try (DirectoryStream<Path> files = Files.newDirectoryStream(dir, "*.pbkb")) {
            for (Path f : files) {
                newest = Math.max(newest, Files.getLastModifiedTime(f).toMillis());
            }
        } catch (IOException e) {
            log.warn("cannot list the backups in {}: {}", dir, e.toString());
        }
        return newest;
    }

    private static void deleteQuietly(Path file) {
        try {
            Files.deleteIfExists(file);
        } catch (IOException e) {
            log.warn("cannot delete {}: {}", file, e.toString());
        }
    }

    private static <T> CompletableFuture<Reply<T>> done(Reply<T> r) {
        return CompletableFuture.completedFuture(r);
    }

    @Override
    public void close() {
        executor.shutdownNow();
    }
}
