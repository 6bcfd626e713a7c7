package dev.pbkv.client.cli;

import com.google.protobuf.Descriptors.FieldDescriptor;
import dev.pbkv.client.BackupResult;
import dev.pbkv.client.BatchResult;
import dev.pbkv.client.Endpoint;
import dev.pbkv.client.KvChange;
import dev.pbkv.client.KvEntry;
import dev.pbkv.client.KvWatch;
import dev.pbkv.client.PbkvClient;
import dev.pbkv.client.PbkvClientBuilder;
import dev.pbkv.client.PbkvException;
import dev.pbkv.client.PbkvUnavailableException;
import dev.pbkv.client.PromoteResult;
import dev.pbkv.client.WriteBatch;
import dev.pbkv.client.WriteResult;
import dev.pbkv.client.WriteStatus;
import dev.pbkv.client.jobs.Backups;
import dev.pbkv.client.jobs.JobReport;
import dev.pbkv.client.jobs.JobRunner;
import dev.pbkv.proto.Role;
import dev.pbkv.proto.StatusResponse;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.function.Function;
import java.util.stream.Stream;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ScopeType;

/**
 * {@code bin/pbkv}: the command-line client. Output is meant for shells: {@code get} prints the
 * value and a newline, {@code exists} prints true or false, {@code status} one
 * {@code field: value} per line; errors are one line on stderr, {@code pbkv: <message>}; the exit
 * code says how it went (0 ok, 1 the operation's "no", 2 usage, 3 unavailable, 4 other).
 */
@Command(
        name = "pbkv",
        mixinStandardHelpOptions = true,
        version = "pbkv 0.1.0",
        description = "The pbkv command-line client. Talks gRPC to the pair named in"
                + " conf/settings.conf, or to the nodes given with --server.",
        exitCodeListHeading = "%nExit codes:%n",
        exitCodeList = {
            "0:success (exists: the key is present)",
            "1:the operation's \"no\": key not found, key already exists, exists: absent,"
                    + " promotion refused, no node to act on, jobs: a line that did not parse or failed",
            "2:usage error (bad option or argument, unreadable settings)",
            "3:server unavailable (no node served the call before --timeout)",
            "4:any other error (invalid argument, memory full, internal error)"
        },
        subcommandsRepeatable = false)
public final class PbkvCli implements Callable<Integer> {

    public static final int OK = 0;
    public static final int NO = 1;
    public static final int USAGE = 2;
    public static final int UNAVAILABLE = 3;
    public static final int OTHER = 4;

    @Option(
            names = "--server",
            paramLabel = "HOST:PORT",
            scope = ScopeType.INHERIT,
            description = "A node's gRPC address; repeat for both nodes." + " Default: the pair in conf/settings.conf.")
    List<String> servers = new ArrayList<>();

    @Option(
            names = "--config",
            paramLabel = "FILE",
            scope = ScopeType.INHERIT,
            description = "The settings file. Default: conf/settings.conf of the pbkv checkout"
                    + " ($PBKV_HOME), else of the current directory.")
    Path config;

    @Option(
            names = "--stale",
            scope = ScopeType.INHERIT,
            description = "Let a backup answer reads from its own, possibly older, copy.")
    boolean stale;

    @Option(
            names = "--timeout",
            paramLabel = "DURATION",
            scope = ScopeType.INHERIT,
            converter = DurationConverter.class,
            defaultValue = "5s",
            description =
                    "How long to keep retrying an unavailable pair (e.g. 500ms, 5s;" + " default ${DEFAULT-VALUE}).")
    Duration timeout;

    @Option(
            names = "--user",
            paramLabel = "NAME",
            scope = ScopeType.INHERIT,
            description = "Authenticate as NAME (default: $PBKV_USER). The password comes from"
                    + " --password-file or $PBKV_PASSWORD, never from the command line.")
    String user;

    @Option(
            names = "--password-file",
            paramLabel = "FILE",
            scope = ScopeType.INHERIT,
            description = "Read the password from the first line of FILE.")
    Path passwordFile;

    @Option(
            names = "--tls-ca",
            paramLabel = "FILE",
            scope = ScopeType.INHERIT,
            description = "Talk TLS, trusting the CA certificates in FILE (PEM; default: $PBKV_TLS_CA; with the"
                    + " settings file and no --server, the tls block there decides).")
    Path tlsCa;

    private final PrintStream out;
    private final PrintStream err;
    private final InputStream in;
    private final Map<String, String> env;

    public PbkvCli(PrintStream out, PrintStream err, InputStream in, Map<String, String> env) {
        this.out = out;
        this.err = err;
        this.in = in;
        this.env = env;
    }

    public static void main(String[] args) {
        // The CLI's output is its contract: no library logging on the console.
        if (System.getProperty("logback.configurationFile") == null) {
            System.setProperty("logback.configurationFile", "pbkv-cli-logback.xml");
        }
        java.util.logging.Logger.getLogger("").setLevel(java.util.logging.Level.OFF);
        int code = run(System.out, System.err, System.in, System.getenv(), args);
        System.out.flush();
        System.exit(code);
    }

    /** Runs one command line; returns its exit code. */
    public static int run(PrintStream out, PrintStream err, InputStream in, Map<String, String> env, String... args) {
        return commandLine(new PbkvCli(out, err, in, env)).execute(args);
    }

    /** The picocli command line of this CLI, with its error handling and output streams. */
    public static CommandLine commandLine(PbkvCli cli) {
        CommandLine cmd = new CommandLine(cli);
        cmd.setOut(new PrintWriter(cli.out, true, StandardCharsets.UTF_8));
        cmd.setErr(new PrintWriter(cli.err, true, StandardCharsets.UTF_8));
        cmd.setExecutionExceptionHandler((e, line, parsed) -> cli.fail(e));
        cmd.setParameterExceptionHandler((e, args) -> {
            cli.err.println("pbkv: " + e.getMessage() + " (see pbkv --help)");
            return USAGE;
        });
        return cmd;
    }

    /** {@code pbkv} alone: the usage, as a usage error. */
    @Override
    public Integer call() {
        err.println("pbkv: a command is needed");
        CommandLine.usage(this, err);
        return USAGE;
    }

    // ---- key-value commands ----

    @Command(name = "get", description = "Print the value of KEY and a newline. Exit 1 when absent.")
    int get(@Parameters(paramLabel = "KEY") String key) {
        return withClient(kv -> {
            Optional<byte[]> value = kv.get(bytes(key));
            if (value.isEmpty()) {
                return no("key '" + key + "' not found");
            }
            out.write(value.get(), 0, value.get().length);
            out.println();
            return OK;
        });
    }

    @Command(name = "put", description = "Store KEY whether or not it exists; prints OK.")
    int put(
            @Parameters(paramLabel = "KEY") String key,
            @Parameters(paramLabel = "VALUE", arity = "0..1", description = "Default: read from standard input.")
                    String value,
            @Option(
                            names = "--ttl",
                            paramLabel = "MS",
                            description = "Expire KEY this many milliseconds from now (the primary's clock).")
                    Long ttlMs) {
        return withClient(kv -> written(
                ttlMs == null
                        ? kv.put(bytes(key), valueOf(value))
                        : kv.put(bytes(key), valueOf(value), java.time.Duration.ofMillis(ttlMs)),
                key));
    }

    @Command(
            name = "expire",
            description = "Make KEY expire MS milliseconds from now (0 or less deletes it), or clear its deadline"
                    + " with --persist; prints 1 if it changed something, else 0 (and exits 1).")
    int expire(
            @Parameters(paramLabel = "KEY") String key,
            @Parameters(paramLabel = "MS", arity = "0..1") Long ttlMs,
            @Option(names = "--persist", description = "Clear KEY's deadline instead.") boolean persist) {
        if (persist == (ttlMs != null)) {
            err.println("pbkv expire: give either MS or --persist");
            return USAGE;
        }
        return withClient(kv -> {
            boolean changed =
                    persist ? kv.persist(bytes(key)) : kv.expire(bytes(key), java.time.Duration.ofMillis(ttlMs));
            out.println(changed ? 1 : 0);
            return changed ? OK : NO;
        });
    }

    @Command(
            name = "ttl",
            description =
                    "Print KEY's time to live in milliseconds: -1 without a deadline, -2 (and exit 1) when absent.")
    int ttl(@Parameters(paramLabel = "KEY") String key) {
        return withClient(kv -> {
            long ms = kv.ttlMillis(bytes(key));
            out.println(ms);
            return ms == -2 ? NO : OK;
        });
    }

    @Command(name = "insert", description = "Store KEY only if absent; prints OK. Exit 1 if present.")
    int insert(
            @Parameters(paramLabel = "KEY") String key,
            @Parameters(paramLabel = "VALUE", arity = "0..1", description = "Default: read from standard input.")
                    String value) {
        return withClient(kv -> written(kv.insert(bytes(key), valueOf(value)), key));
    }

    @Command(name = "update", description = "Replace KEY's value only if present; prints OK." + " Exit 1 if absent.")
    int update(
            @Parameters(paramLabel = "KEY") String key,
            @Parameters(paramLabel = "VALUE", arity = "0..1", description = "Default: read from standard input.")
                    String value) {
        return withClient(kv -> written(kv.update(bytes(key), valueOf(value)), key));
    }

    @Command(name = "delete", description = "Remove KEY; prints OK. Exit 1 if absent.")
    int delete(@Parameters(paramLabel = "KEY") String key) {
        return withClient(kv -> written(kv.delete(bytes(key)), key));
    }

    @Command(
            name = "batch",
            description = "Apply OPERATIONs all or nothing, as one record: put KEY VALUE, del KEY,"
                    + " insert KEY VALUE, update KEY VALUE, get KEY (e.g. batch put a 1 put b 2 del c)."
                    + " Prints OK, then one line per get (its value, or (nil)). Exit 1 if an insert's key"
                    + " exists or an update's is absent (nothing applied).")
    int batch(@Parameters(paramLabel = "OPERATION", arity = "1..*") List<String> words) {
        WriteBatch batch = new WriteBatch();
        List<Integer> gets = new ArrayList<>();
        for (int i = 0; i < words.size(); ) {
            String op = words.get(i).toLowerCase(java.util.Locale.ROOT);
            int args = switch (op) {
                case "put", "set", "insert", "update" -> 2;
                case "del", "delete", "get" -> 1;
                default -> 0;
            };
            if (args == 0) {
                err.println("pbkv: unknown batch operation '" + words.get(i) + "' (put, del, insert, update, get)");
                return USAGE;
            }
            if (i + args >= words.size()) {
                err.println("pbkv: batch operation '" + op + "' needs " + args + " argument(s)");
                return USAGE;
            }
            byte[] key = bytes(words.get(i + 1));
            switch (op) {
                case "put", "set" -> batch.put(key, bytes(words.get(i + 2)));
                case "insert" -> batch.insert(key, bytes(words.get(i + 2)));
                case "update" -> batch.update(key, bytes(words.get(i + 2)));
                case "del", "delete" -> batch.delete(key);
                default -> {
                    gets.add(batch.size());
                    batch.get(key);
                }
            }
            i += args + 1;
        }
        return withClient(kv -> {
            BatchResult r = kv.batch(batch);
            if (r.status() == WriteStatus.ALREADY_EXISTS) {
                return no("an insert's key already exists; nothing applied");
            }
            if (r.status() == WriteStatus.NOT_FOUND) {
                return no("an update's key was not found; nothing applied");
            }
            out.println("OK");
            for (int g : gets) {
                if (!r.detailed()) {
                    out.println("(unknown: a retried batch)");
                } else if (r.before().get(g).isEmpty()) {
                    out.println("(nil)");
                } else {
                    byte[] v = r.before().get(g).get();
                    out.write(v, 0, v.length);
                    out.println();
                }
            }
            return OK;
        });
    }

    @Command(
            name = "exists",
            description = "Print true and exit 0 if KEY is present," + " else print false and exit 1.")
    int exists(@Parameters(paramLabel = "KEY") String key) {
        return withClient(kv -> {
            boolean present = kv.exists(bytes(key));
            out.println(present);
            return present ? OK : NO;
        });
    }

    @Command(name = "count", description = "Print the number of keys.")
    int count() {
        return withClient(kv -> {
            out.println(kv.count());
            return OK;
        });
    }

    @Command(name = "scan", description = "Print KEY<TAB>VALUE lines in key order.")
    int scan(
            @Option(names = "--prefix", paramLabel = "P", defaultValue = "", description = "Only keys starting with P.")
                    String prefix,
            @Option(
                            names = "--limit",
                            paramLabel = "N",
                            defaultValue = "0",
                            description = "At most N entries; 0 (default) for all.")
                    long limit) {
        if (limit < 0) {
            throw new CommandLine.ParameterException(new CommandLine(this), "--limit must be 0 or more, got " + limit);
        }
        return withClient(kv -> {
            try (Stream<KvEntry> entries = kv.scan(bytes(prefix), limit)) {
                entries.forEach(this::printEntry);
            }
            return OK;
        });
    }

    @Command(name = "dump", description = "Print every KEY<TAB>VALUE, in no particular order.")
    int dump() {
        return withClient(kv -> {
            try (Stream<KvEntry> entries = kv.dump()) {
                entries.forEach(this::printEntry);
            }
            return OK;
        });
    }

    @Command(
            name = "watch",
            description = "Print every committed change of KEY (or of the keys starting with --prefix) as it"
                    + " happens, one line each: OFFSET EVENT KEY [VALUE], EVENT being set, delete or expired."
                    + " Follows a failover: watches again on the new primary from the last offset printed,"
                    + " so no change is missed or printed twice. Runs until interrupted or --count changes.")
    int watch(
            @Parameters(paramLabel = "KEY", arity = "0..1", description = "The key to watch.") String key,
            @Option(names = "--prefix", paramLabel = "P", description = "Watch every key starting with P instead.")
                    String prefix,
            @Option(
                            names = "--from",
                            paramLabel = "OFFSET",
                            defaultValue = "0",
                            description = "The first log offset to print (0, the default: from now).")
                    long from,
            @Option(names = "--count", paramLabel = "N", defaultValue = "0", description = "Exit after N changes.")
                    long count) {
        if ((key == null) == (prefix == null)) {
            throw new CommandLine.ParameterException(new CommandLine(this), "give either KEY or --prefix P");
        }
        if (from < 0 || count < 0) {
            throw new CommandLine.ParameterException(new CommandLine(this), "--from and --count must be 0 or more");
        }
        return withClient(kv -> {
            long next = from;
            long printed = 0;
            while (true) {
                KvWatch w = prefix != null ? kv.watchPrefix(bytes(prefix), next) : kv.watch(bytes(key), next);
                try (w) {
                    while (w.hasNext()) {
                        KvChange c = w.next();
                        out.println(c);
                        out.flush();
                        if (count > 0 && ++printed >= count) {
                            return OK;
                        }
                    }
                    return OK;
                } catch (PbkvUnavailableException e) {
                    next = w.resumeOffset();
                    // No primary within --timeout (a failover in progress): keep looking, from where it stopped.
                    err.println("pbkv: watch: " + e.getMessage() + "; still trying");
                } catch (PbkvException e) {
                    if (e.code() != io.grpc.Status.Code.RESOURCE_EXHAUSTED) {
                        throw e;
                    }
                    next = w.resumeOffset();
                    // This terminal fell behind the node's buffer: read on from the log, from where it stopped.
                    err.println("pbkv: watch: " + e.getMessage() + "; resuming from offset " + next);
                }
            }
        });
    }

    @Command(
            name = "jobs",
            description = "Run every DIR/*.job file against the pair (WRITE, READ, DELETE, SHOW, WAIT, BACKUP"
                    + " lines; docs/jobs.md), each file's lines in order, and write one result line per"
                    + " operation to <name>.out beside it. Prints one line per file. Exit 1 when a line did"
                    + " not parse or its operation failed (each such line is an ERROR file:line: line in the"
                    + " .out and on stderr), 4 when a file could not be read or its .out written.")
    int jobs(
            @Parameters(paramLabel = "DIR") Path dir,
            @Option(
                            names = "--threads",
                            paramLabel = "N",
                            defaultValue = "1",
                            description = "Run N files at once (default ${DEFAULT-VALUE}: one after the other,"
                                    + " so files that share keys give the same results every run).")
                    int threads,
            @Option(
                            names = "--max-backups",
                            paramLabel = "M",
                            defaultValue = "1",
                            description = "At most M BACKUP steps run at once across all files; the others"
                                    + " wait (default ${DEFAULT-VALUE}).")
                    int maxBackups) {
        if (!Files.isDirectory(dir)) {
            throw new CommandLine.ParameterException(new CommandLine(this), "jobs: " + dir + " is not a directory");
        }
        if (threads < 1 || maxBackups < 1) {
            throw new CommandLine.ParameterException(
                    new CommandLine(this), "jobs: --threads and --max-backups must be 1 or more");
        }
        return withClient(kv -> {
            List<JobReport> reports;
            try {
                reports = new JobRunner(kv, backupsOf(kv), threads, maxBackups, err).run(dir);
            } catch (IOException e) {
                err.println("pbkv: jobs: cannot list " + dir + ": " + e.getMessage());
                return OTHER;
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                err.println("pbkv: jobs: interrupted");
                return OTHER;
            }
            if (reports.isEmpty()) {
                err.println("pbkv: jobs: no " + JobRunner.SUFFIX + " files in " + dir);
            }
            int code = OK;
            for (JobReport r : reports) {
                out.println(r.summary());
                if (r.failure() != null) {
                    code = OTHER;
                } else if (r.errors() > 0 && code == OK) {
                    code = NO;
                }
            }
            return code;
        });
    }

    /**
     * How BACKUP steps reach the pair: the n-th BACKUP of a.job is the primary's file
     * {@code a-<n>-<this run's start, UTC>.pbkb}, so a second run of the same directory does not
     * collide with the first one's files.
     */
    private static Backups backupsOf(PbkvClient kv) {
        String run = JOB_RUN_STAMP.format(java.time.Instant.now());
        return name -> {
            BackupResult b;
            try {
                b = kv.backup(name + "-" + run + ".pbkb");
            } catch (PbkvException e) {
                if (e.code() == io.grpc.Status.Code.UNIMPLEMENTED) {
                    throw new Backups.Unavailable(); // a pair older than Admin.Backup
                }
                throw e;
            }
            return b.path() + " at offset " + b.offset() + ", " + b.keys() + (b.keys() == 1 ? " key, " : " keys, ")
                    + b.bytes() + " bytes";
        };
    }

    private static final java.time.format.DateTimeFormatter JOB_RUN_STAMP =
            java.time.format.DateTimeFormatter.ofPattern("yyyyMMdd-HHmmssSSS").withZone(java.time.ZoneOffset.UTC);

    // ---- administration ----

    @Command(
            name = "status",
            description = "Print each node's status, one 'field: value' per"
                    + " line, a blank line between nodes. Exit 3 when no node answers.")
    int status() {
        return withClient(kv -> {
            int answered = 0;
            boolean first = true;
            for (Endpoint e : kv.endpoints()) {
                if (!first) {
                    out.println();
                }
                first = false;
                out.println("server: " + e);
                try {
                    printStatus(kv.status(e));
                    answered++;
                } catch (PbkvException ex) {
                    out.println("error: " + ex.getMessage());
                }
            }
            if (answered == 0) {
                err.println("pbkv: no node answered");
                return UNAVAILABLE;
            }
            return OK;
        });
    }

    @Command(
            name = "promote",
            description = "Make a backup whose primary is gone the primary."
                    + " Acts on the one --server given, else on the one reachable backup of the pair."
                    + " Without a coordinator a backup whose primary does not answer (it may be alive"
                    + " behind a partition) or holds a newer history is promoted only with --force;"
                    + " with a coordinator its rules decide.")
    int promote(
            @Option(
                            names = "--force",
                            description = "Promote even if the primary may be alive: the writes it"
                                    + " acknowledges meanwhile, or its newer records, may be lost.")
                    boolean force) {
        return withClient(kv -> {
            Endpoint target;
            if (kv.endpoints().size() == 1) {
                target = kv.endpoints().get(0);
            } else {
                List<Endpoint> backups = new ArrayList<>();
                int reachable = 0;
                for (Endpoint e : kv.endpoints()) {
                    try {
                        if (kv.status(e).getRole() == Role.BACKUP) {
                            backups.add(e);
                        }
                        reachable++;
                    } catch (PbkvUnavailableException ex) {
                        // not reachable: not a candidate
                    }
                }
                if (reachable == 0) {
                    throw new PbkvUnavailableException("no node of " + kv.endpoints() + " answered", null);
                }
                if (backups.size() != 1) {
                    return no(
                            backups.isEmpty()
                                    ? "no reachable backup to promote among " + kv.endpoints()
                                    : "more than one backup " + backups + "; name one with --server");
                }
                target = backups.get(0);
            }
            PromoteResult result = kv.promote(target, force);
            if (!result.promoted()) {
                return no("promotion of " + target + " refused: " + result.refusal());
            }
            out.println("promoted " + target + " to primary, epoch " + result.epoch());
            return OK;
        });
    }

    @Command(
            name = "shutdown",
            description = "Stop a node gracefully (an in-sync primary hands"
                    + " its role to the backup first). Acts on the one --server given, else on the primary.")
    int shutdown(
            @Option(names = "--no-switchover", description = "Exit at once without handing the primary role over.")
                    boolean noSwitchover) {
        return withClient(kv -> {
            Endpoint target;
            if (kv.endpoints().size() == 1) {
                target = kv.endpoints().get(0);
            } else {
                Optional<Endpoint> primary = kv.findPrimary();
                if (primary.isEmpty()) {
                    throw new PbkvUnavailableException(
                            "no node of " + kv.endpoints() + " says it is primary; name one with --server", null);
                }
                target = primary.get();
            }
            boolean switched = kv.shutdown(target, noSwitchover);
            out.println("shutting down " + target + (switched ? " (primary role handed to the backup)" : ""));
            return OK;
        });
    }

    @Command(
            name = "backup",
            description = "Ask the primary to write a backup (its contents at exactly one offset) to its"
                    + " backup directory, on its own disk; prints path, offset, keys and bytes. With --out,"
                    + " copies the file to FILE when the node runs on this machine (loopback); a node"
                    + " elsewhere keeps it, and the path printed is on that node.")
    int backup(
            @Option(
                            names = "--name",
                            paramLabel = "NAME",
                            defaultValue = "",
                            description = "The file's name on the node (default: backup-<offset>-<utc time>.pbkb).")
                    String name,
            @Option(names = "--out", paramLabel = "FILE", description = "Copy the backup here too (loopback only).")
                    Path outFile) {
        return withClient(kv -> {
            BackupResult b = kv.backup(name);
            out.println("path: " + b.path());
            out.println("offset: " + b.offset());
            out.println("keys: " + b.keys());
            out.println("bytes: " + b.bytes());
            if (outFile == null) {
                return OK;
            }
            Path made = Path.of(b.path());
            boolean local = kv.endpoints().stream().allMatch(e -> isLoopback(e.host()));
            if (!local || !Files.isReadable(made)) {
                err.println("pbkv: the backup stays on the node at " + b.path()
                        + " (it is not on this machine); copy it from there");
                return OTHER;
            }
            try {
                Files.copy(made, outFile, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
            } catch (IOException e) {
                throw new UncheckedIOException("cannot copy " + made + " to " + outFile + ": " + e.getMessage(), e);
            }
            out.println("copied: " + outFile.toAbsolutePath());
            return OK;
        });
    }

    private static boolean isLoopback(String host) {
        String h = host.startsWith("[") && host.endsWith("]") ? host.substring(1, host.length() - 1) : host;
        return h.equalsIgnoreCase("localhost") || h.matches("127(\\.\\d{1,3}){3}") || h.equals("::1");
    }

    // ---- plumbing ----

    private int withClient(Function<PbkvClient, Integer> body) {
        PbkvClientBuilder builder = PbkvClient.builder()
                .retryDeadline(timeout)
                .callTimeout(timeout.compareTo(Duration.ofSeconds(2)) < 0 ? timeout : Duration.ofSeconds(2))
                .allowStale(stale);
        if (servers.isEmpty()) {
            builder.settings(settingsFile());
        } else {
            for (String s : servers) {
                try {
                    builder.endpoint(Endpoint.parse(s));
                } catch (IllegalArgumentException e) {
                    throw new CommandLine.ParameterException(new CommandLine(this), "--server: " + e.getMessage());
                }
            }
        }
        String caFromEnv = env.get("PBKV_TLS_CA");
        Path ca = tlsCa != null ? tlsCa : (caFromEnv == null || caFromEnv.isBlank() ? null : Path.of(caFromEnv));
        if (ca != null) {
            builder.tls(ca);
        }
        String name = user != null ? user : env.get("PBKV_USER");
        if (name != null && !name.isBlank()) {
            builder.credentials(name, password());
        } else if (passwordFile != null) {
            throw new CommandLine.ParameterException(
                    new CommandLine(this), "--password-file needs --user (or $PBKV_USER)");
        }
        try (PbkvClient kv = builder.build()) {
            return body.apply(kv);
        } finally {
            out.flush();
        }
    }

    private String password() {
        if (passwordFile != null) {
            try {
                List<String> lines = Files.readAllLines(passwordFile, StandardCharsets.UTF_8);
                return lines.isEmpty() ? "" : lines.get(0);
            } catch (java.io.IOException e) {
                throw new CommandLine.ParameterException(
                        new CommandLine(this), "--password-file: cannot read " + passwordFile + ": " + e.getMessage());
            }
        }
        String fromEnv = env.get("PBKV_PASSWORD");
        return fromEnv == null ? "" : fromEnv;
    }

    private Path settingsFile() {
        if (config != null) {
            return config;
        }
        String home = env.get("PBKV_HOME");
        Path file = home != null && !home.isBlank()
                ? Path.of(home, "conf", "settings.conf")
                : Path.of("conf", "settings.conf");
        if (!Files.isRegularFile(file)) {
            throw new CommandLine.ParameterException(
                    new CommandLine(this),
                    "no settings file at " + file.toAbsolutePath() + "; give --server or --config");
        }
        return file;
    }

    private int written(WriteResult result, String key) {
        switch (result.status()) {
            case OK:
                out.println("OK");
                return OK;
            case NOT_FOUND:
                return no("key '" + key + "' not found");
            case ALREADY_EXISTS:
                return no("key '" + key + "' already exists");
            default:
                throw new IllegalStateException("unknown write status " + result.status());
        }
    }

    private int no(String message) {
        err.println("pbkv: " + message);
        return NO;
    }

    private byte[] valueOf(String value) {
        if (value != null) {
            return bytes(value);
        }
        try {
            return in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the value from standard input", e);
        }
    }

    private void printEntry(KvEntry e) {
        out.write(e.key(), 0, e.key().length);
        out.write('\t');
        out.write(e.value(), 0, e.value().length);
        out.println();
    }

    private void printStatus(StatusResponse status) {
        printFields("", status);
    }

    /** One "name: value" line per field; a nested message's fields as "outer.inner: value". */
    private void printFields(String prefix, com.google.protobuf.Message message) {
        for (FieldDescriptor field : message.getDescriptorForType().getFields()) {
            Object value = message.getField(field);
            if (value instanceof com.google.protobuf.Message nested) {
                printFields(prefix + field.getName() + ".", nested);
                continue;
            }
            if (value instanceof com.google.protobuf.Descriptors.EnumValueDescriptor enumValue) {
                value = enumValue.getName();
            } else if (value instanceof java.util.List<?> list) {
                value = String.join(",", list.stream().map(String::valueOf).toList());
            }
            out.println(prefix + field.getName() + ": " + value);
        }
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    /** Turns a failure into one line on stderr and its exit code. */
    private int fail(Exception e) {
        if (e instanceof CommandLine.ParameterException pe) {
            err.println("pbkv: " + pe.getMessage());
            return USAGE;
        }
        if (e instanceof PbkvUnavailableException) {
            err.println("pbkv: unavailable: " + e.getMessage());
            return UNAVAILABLE;
        }
        if (e instanceof PbkvException) {
            err.println("pbkv: " + e.getMessage());
            return OTHER;
        }
        if (e instanceof IllegalArgumentException || e instanceof UncheckedIOException) {
            // settings that cannot be read or parsed
            err.println("pbkv: " + e.getMessage());
            return USAGE;
        }
        err.println("pbkv: " + e);
        return OTHER;
    }
}
