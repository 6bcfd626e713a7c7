package dev.pbkv.tester.engine;

import dev.pbkv.tester.config.ServerConfig;
import dev.pbkv.tester.config.TestConfig;
import dev.pbkv.tester.driver.Driver;
import dev.pbkv.tester.driver.FailureCode;
import dev.pbkv.tester.driver.KeyWatch;
import dev.pbkv.tester.driver.OpResult;
import dev.pbkv.tester.script.OpKind;
import dev.pbkv.tester.script.Parser;
import dev.pbkv.tester.script.Script;
import dev.pbkv.tester.script.Statement;
import dev.pbkv.tester.script.Template;
import dev.pbkv.tester.script.WaitTarget;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.stream.Collectors;

/**
 * Replays one parsed {@code .test} file against the configured nodes. A failed operation is
 * recorded and the case goes on; a failed control step (start, stop, kill, restart, reset, wait,
 * run) stops the case, since what follows it would only repeat the same failure. Nothing a node
 * does or fails to do escapes as an exception.
 */
public final class CaseRunner {
    /** Failures kept for printing per case. */
    static final int KEPT_FAILURES = 20;
    /** Past this many failed steps the case stops: the rest would only say the same. */
    static final int MAX_FAILURES = 200;

    private static final Duration POLL = Duration.ofMillis(100);

    private final TestConfig config;
    private final Map<String, Driver> drivers;
    private final NodeControl control;
    private final ProcessRunner programs;
    /** Names of nodes this run has started, so the run can stop them at the end; thread-safe set. */
    private final Set<String> startedNodes;
    /** Steps run so far in the whole run; read by the progress line. */
    private final AtomicLong steps;

    public CaseRunner(
            TestConfig config,
            Map<String, Driver> drivers,
            NodeControl control,
            ProcessRunner programs,
            Set<String> startedNodes,
            AtomicLong steps) {
        this.config = config;
        this.drivers = drivers;
        this.control = control;
        this.programs = programs;
        this.startedNodes = startedNodes;
        this.steps = steps;
    }

    /**
     * Runs every statement of {@code script} that the servers' contract covers and reports how it
     * went; a case whose header requires what the contract lacks does not run at all.
     */
    public CaseResult run(Script script) {
        if (!config.contract().offers(script.requires())) {
            return CaseResult.skipped(script.name(), needs(script.requires()));
        }
        long t0 = System.nanoTime();
        CaseState state = new CaseState(script);
        try {
            state.execute(script.statements(), Bindings.NONE);
        } finally {
            state.watches.values().forEach(KeyWatch::close);
        }
        Duration time = Duration.ofNanos(System.nanoTime() - t0);
        return new CaseResult(
                script.name(),
                time,
                state.kept(),
                state.failureCount.get(),
                null,
                false,
                skippedStatements(script.statements()),
                null);
    }

    /** "needs pbkv (not in --contract course)". */
    private String needs(Set<String> features) {
        return "needs " + String.join(" ", config.contract().lacking(features)) + " (not in the "
                + config.contract().word() + " contract)";
    }

    /**
     * How many statements, as written, sit in {@code requires} blocks that the contract does not
     * cover: the statements that do not run. Blocks count their contents, not themselves.
     */
    public int skippedStatements(List<Statement> statements) {
        int n = 0;
        for (Statement st : statements) {
            if (st instanceof Statement.Requires r) {
                n += config.contract().offers(r.features()) ? skippedStatements(r.body()) : leaves(r.body());
            } else if (st instanceof Statement.Repeat r) {
                n += skippedStatements(r.body());
            } else if (st instanceof Statement.Busy b) {
                n += skippedStatements(b.body());
            } else if (st instanceof Statement.Concurrent c) {
                n += skippedStatements(c.body()) + skippedStatements(c.alongside());
            }
        }
        return n;
    }

    private static int leaves(List<Statement> statements) {
        int n = 0;
        for (Statement st : statements) {
            if (st instanceof Statement.Requires r) {
                n += leaves(r.body());
            } else if (st instanceof Statement.Repeat r) {
                n += leaves(r.body());
            } else if (st instanceof Statement.Busy b) {
                n += leaves(b.body());
            } else if (st instanceof Statement.Concurrent c) {
                n += leaves(c.body()) + leaves(c.alongside());
            } else {
                n++;
            }
        }
        return n;
    }

    /** The name operations go to before any {@code use}: primary if configured, else the first node. */
    private String initialNode() {
        return config.servers().containsKey("primary")
                ? "primary"
                : config.servers().keySet().iterator().next();
    }

    /** A name that the test config does not define, met while filling in a statement. */
    private static final class UnknownNodeException extends RuntimeException {
        UnknownNodeException(String message) {
            super(message, null, false, false);
        }
    }

    /** One run of one case: its failures, its ledger and its default node. */
    private final class CaseState {
        private final Script script;
        /** Failures kept for printing; guarded by its own monitor (workers add to it). */
        private final List<StepFailure> failures = new ArrayList<>();
        /** Every failure, kept or not. */
        private final AtomicInteger failureCount = new AtomicInteger();
        /** Set once a control step failed or too many steps did: every worker stops at its next step. */
        private final AtomicBoolean aborted = new AtomicBoolean();
        /** The node of operations without {@code on}; changed by {@code use}. */
        private final AtomicReference<String> defaultNode = new AtomicReference<>(initialNode());

        private final AckLedger ledger = new AckLedger();
        /** The case's watches by name; closed when the case ends. */
        private final Map<String, KeyWatch> watches = new ConcurrentHashMap<>();

        CaseState(Script script) {
            this.script = script;
        }

        List<StepFailure> kept() {
            synchronized (failures) {
                return List.copyOf(failures);
            }
        }

        void execute(List<Statement> statements, Bindings b) {
            for (Statement st : statements) {
                if (aborted.get()) {
                    return;
                }
                steps.incrementAndGet();
                try {
                    step(st, b);
                } catch (UnknownNodeException e) {
                    fail(st, b, "a node named in the test config", e.getMessage());
                } catch (RuntimeException e) {
                    fatal(st, b, "the step to run", "tester error: " + e);
                }
            }
        }

        private void step(Statement st, Bindings b) {
            if (st instanceof Statement.Operation op) {
                operation(op, b);
            } else if (st instanceof Statement.Reset) {
                reset(st, b);
            } else if (st instanceof Statement.NodeAction a) {
                ServerConfig s = server(a.node());
                switch (a.action()) {
                    case START -> start(st, b, s);
                    case STOP -> stop(st, b, s, NodeControl.Command.STOP);
                    case KILL -> stop(st, b, s, NodeControl.Command.KILL);
                    case RESTART -> {
                        if (stop(st, b, s, NodeControl.Command.STOP)) {
                            start(st, b, s);
                        }
                    }
                    case PAUSE -> command(st, b, s, NodeControl.Command.PAUSE, "pause");
                    case RESUME -> command(st, b, s, NodeControl.Command.RESUME, "resume");
                    case CLEAN -> command(st, b, s, NodeControl.Command.CLEAN, "clean");
                }
            } else if (st instanceof Statement.Wait w) {
                server(w.node());
                Duration timeout = w.timeout().orElse(config.timeouts().waitFor());
                String last = awaitTarget(w.node(), w.target(), timeout);
                if (last != null) {
                    fatal(st, b, w.node() + " " + w.target() + " within " + seconds(timeout), last);
                }
            } else if (st instanceof Statement.Use u) {
                server(u.node());
                defaultNode.set(u.node());
            } else if (st instanceof Statement.Concurrent c) {
                concurrent(c, b);
            } else if (st instanceof Statement.Repeat r) {
                for (int i = 0; i < r.times() && !aborted.get(); i++) {
                    execute(r.body(), b.with("i", i));
                }
            } else if (st instanceof Statement.Busy busy) {
                try (BusyThreads spinning = BusyThreads.start(busy.threads())) {
                    execute(busy.body(), b);
                }
            } else if (st instanceof Statement.Requires r) {
                if (config.contract().offers(r.features())) {
                    execute(r.body(), b);
                } // else: counted as skipped before the case ran
            } else if (st instanceof Statement.Sleep s) {
                if (!pause(s.duration())) {
                    fatal(st, b, "to sleep " + s.duration().toMillis() + " ms", "interrupted");
                }
            } else if (st instanceof Statement.Run r) {
                run(r, b);
            } else if (st instanceof Statement.Consistent c) {
                consistent(c, b);
            } else if (st instanceof Statement.Verify v) {
                verify(v, b);
            } else if (st instanceof Statement.Watch w) {
                watch(w, b);
            } else if (st instanceof Statement.Changes c) {
                changes(c, b);
            } else {
                throw new IllegalStateException("no rule for " + st);
            }
        }

        // ---- operations ----

        private void operation(Statement.Operation op, Bindings b) {
            String node = op.node().orElse(defaultNode.get());
            server(node);
            Driver d = drivers.get(node);
            Function<String, String> lookup = lookup(b);
            List<String> args = op.args().stream().map(t -> t.render(lookup)).toList();
            OpResult r = switch (op.kind()) {
                case INSERT -> d.insert(args.get(0), args.get(1));
                case UPDATE -> d.update(args.get(0), args.get(1));
                case PUT -> d.put(args.get(0), args.get(1));
                case DELETE -> d.delete(args.get(0));
                case GET -> d.get(args.get(0));
                case EXISTS -> d.exists(args.get(0));
                case COUNTKEY -> d.count();
                case DUMP -> d.dump(true);
                case EXPIRE -> expire(d, args);
                case TTL -> d.ttl(args.get(0));
                case PROMOTE -> d.promote();
                case SHUTDOWN -> d.shutdown();
            };
            if (op.kind().isKeyWrite()) {
                remember(op, args, r);
            } else if (op.kind() == OpKind.EXPIRE && !(r instanceof OpResult.Missing)) {
                // The key may be gone once its deadline passes: verify accepts it present or absent.
                ledger.uncertain(args.get(0), null);
            }
            if (!Expectations.matches(op.expectation(), r, lookup)) {
                fail(op, b, Expectations.describe(op.expectation(), lookup), r.describe());
            }
        }

        private OpResult expire(Driver d, List<String> args) {
            Duration ttl = Parser.durationOf(args.get(1));
            if (ttl == null) {
                return new OpResult.Failed(
                        FailureCode.INVALID_ARGUMENT, "'" + args.get(1) + "' is not a duration such as 500ms or 5s");
            }
            return d.expire(args.get(0), ttl);
        }

        /** Enters a write into the ledger that {@code verify} checks. */
        private void remember(Statement.Operation op, List<String> args, OpResult r) {
            String key = args.get(0);
            String value = op.kind() == OpKind.DELETE ? null : args.get(1);
            if (r.isSuccess()) {
                ledger.acknowledged(key, value, op.pos());
            } else if (r instanceof OpResult.Failed f && !definiteRefusal(f.code())) {
                ledger.uncertain(key, value);
            }
        }

        /** Codes after which the write was certainly not applied. */
        private boolean definiteRefusal(String code) {
            return code.equals(FailureCode.ALREADY_EXISTS)
                    || code.equals(FailureCode.NOT_FOUND)
                    || code.equals(FailureCode.INVALID_ARGUMENT)
                    || code.equals(FailureCode.RESOURCE_EXHAUSTED)
                    || code.equals(FailureCode.UNSUPPORTED)
                    || code.equals("FAILED_PRECONDITION");
        }

        // ---- node control ----

        private void reset(Statement st, Bindings b) {
            List<ServerConfig> all = List.copyOf(config.servers().values());
            // Backup first: a primary whose backup is gone stops at once, without handing over its role.
            List<ServerConfig> stopOrder = new ArrayList<>(all);
            Collections.reverse(stopOrder);
            for (ServerConfig s : stopOrder) {
                // A case that failed between pause and resume leaves a frozen node; both may fail
                // harmlessly when the node is not running.
                control.run(s, NodeControl.Command.RESUME);
                control.run(s, NodeControl.Command.STOP);
                if (awaitTarget(s.name(), WaitTarget.DOWN, config.timeouts().stop()) != null) {
                    control.run(s, NodeControl.Command.KILL);
                    String last = awaitTarget(
                            s.name(), WaitTarget.DOWN, config.timeouts().stop());
                    if (last != null) {
                        fatal(st, b, s.name() + " to stop (stop, then kill)", last);
                        return;
                    }
                }
            }
            for (ServerConfig s : all) {
                CommandOutcome o = control.run(s, NodeControl.Command.CLEAN);
                if (!o.succeeded()) {
                    fatal(st, b, "the clean command of " + s.name() + " to succeed", o.describe());
                    return;
                }
            }
            // Both start commands at once: a node may wait for its peer before it reports itself up.
            List<Future<CommandOutcome>> started = new ArrayList<>();
            ExecutorService starters = Executors.newFixedThreadPool(all.size(), named("pbkv-test-start"));
            try {
                for (ServerConfig s : all) {
                    startedNodes.add(s.name());
                    started.add(starters.submit(() -> control.run(s, NodeControl.Command.START)));
                }
                for (int n = 0; n < all.size(); n++) {
                    CommandOutcome o = started.get(n).get();
                    if (!o.succeeded()) {
                        fatal(st, b, "the start command of " + all.get(n).name() + " to succeed", o.describe());
                        return;
                    }
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                fatal(st, b, "the nodes to start", "interrupted");
                return;
            } catch (ExecutionException e) {
                fatal(st, b, "the nodes to start", "tester error: " + e.getCause());
                return;
            } finally {
                starters.shutdownNow();
            }
            for (ServerConfig s : all) {
                drivers.get(s.name()).reconnectNow();
                String last =
                        awaitTarget(s.name(), WaitTarget.UP, config.timeouts().start());
                if (last != null) {
                    fatal(
                            st,
                            b,
                            s.name() + " to answer within "
                                    + seconds(config.timeouts().start()) + " (" + config.raise("start_ms") + ")",
                            last);
                    return;
                }
            }
            ledger.clear();
            defaultNode.set(initialNode());
        }

        /** Runs a command that has nothing to wait for afterwards. */
        private void command(Statement st, Bindings b, ServerConfig s, NodeControl.Command c, String verb) {
            CommandOutcome o = control.run(s, c);
            if (!o.succeeded()) {
                fatal(st, b, "the " + verb + " command of " + s.name() + " to succeed", o.describe());
            }
        }

        private boolean start(Statement st, Bindings b, ServerConfig s) {
            startedNodes.add(s.name());
            CommandOutcome o = control.run(s, NodeControl.Command.START);
            if (!o.succeeded()) {
                fatal(st, b, "the start command of " + s.name() + " to succeed", o.describe());
                return false;
            }
            drivers.get(s.name()).reconnectNow();
            String last = awaitTarget(s.name(), WaitTarget.UP, config.timeouts().start());
            if (last != null) {
                fatal(
                        st,
                        b,
                        s.name() + " to answer within "
                                + seconds(config.timeouts().start()) + " (" + config.raise("start_ms") + ")",
                        last);
                return false;
            }
            return true;
        }

        private boolean stop(Statement st, Bindings b, ServerConfig s, NodeControl.Command how) {
            CommandOutcome o = control.run(s, how);
            String verb = how == NodeControl.Command.KILL ? "kill" : "stop";
            if (!o.succeeded()) {
                fatal(st, b, "the " + verb + " command of " + s.name() + " to succeed", o.describe());
                return false;
            }
            String last =
                    awaitTarget(s.name(), WaitTarget.DOWN, config.timeouts().stop());
            if (last != null) {
                fatal(
                        st,
                        b,
                        s.name() + " to stop answering within "
                                + seconds(config.timeouts().stop()) + " (" + config.raise("stop_ms") + ")",
                        last);
                return false;
            }
            return true;
        }

        /** Polls the node's status until it shows {@code target}: null then, else the last answer. */
        private String awaitTarget(String node, WaitTarget target, Duration timeout) {
            Driver d = drivers.get(node);
            long deadline = System.nanoTime() + timeout.toNanos();
            while (true) {
                OpResult r = d.status();
                if (reached(r, target)) {
                    return null;
                }
                if (System.nanoTime() - deadline > 0 || !pause(POLL)) {
                    return r.describe();
                }
            }
        }

        private boolean reached(OpResult r, WaitTarget target) {
            if (target == WaitTarget.DOWN) {
                return r instanceof OpResult.Failed f && f.unreachable();
            }
            if (!(r instanceof OpResult.Status s)) {
                return false;
            }
            return switch (target.kind()) {
                case REACHABILITY -> true;
                // A protocol that cannot tell the state (HTTP without it in /health) counts "answers".
                case STATE ->
                    s.state() == null
                            || s.state().equals(target.name())
                            || (target == WaitTarget.SERVING
                                    && (s.state().equals("BOOTSTRAP")
                                            || s.state().equals("SYNC")));
                case ROLE -> s.role() == null || s.role().equals(target.name());
            };
        }

        // ---- blocks ----

        private void concurrent(Statement.Concurrent c, Bindings b) {
            int workers = c.workers().orElse(config.concurNum());
            int threads = workers + (c.alongside().isEmpty() ? 0 : 1);
            ExecutorService pool = Executors.newFixedThreadPool(threads, named("pbkv-test-worker"));
            try {
                List<Future<?>> all = new ArrayList<>();
                for (int w = 0; w < workers; w++) {
                    Bindings wb = b.with("i", w).with("worker", w);
                    all.add(pool.submit(() -> execute(c.body(), wb)));
                }
                if (!c.alongside().isEmpty()) {
                    all.add(pool.submit(() -> execute(c.alongside(), b)));
                }
                for (Future<?> f : all) {
                    f.get();
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                fatal(c, b, "the workers to finish", "interrupted");
            } catch (ExecutionException e) {
                fatal(c, b, "the workers to finish", "tester error: " + e.getCause());
            } finally {
                pool.shutdownNow();
            }
        }

        // ---- checks ----

        private void run(Statement.Run r, Bindings b) {
            Function<String, String> lookup = lookup(b);
            List<String> argv = new ArrayList<>();
            for (Template t : r.argv()) {
                argv.add(t.render(lookup));
            }
            String program = argv.get(0);
            if (program.contains("/") && !Path.of(program).isAbsolute()) {
                argv.set(0, config.workdir().resolve(program).toString());
            }
            CommandOutcome o = programs.run(argv, config.timeouts().command());
            if (o.timedOut() || o.exitCode() != r.exitCode()) {
                fatal(r, b, "exit code " + r.exitCode(), o.describe());
            }
        }

        private void watch(Statement.Watch w, Bindings b) {
            String node = w.node().orElse(defaultNode.get());
            server(node);
            String key = w.key().render(lookup(b));
            KeyWatch kw = drivers.get(node).watch(key, w.prefix());
            if (kw == null) {
                fail(w, b, "a driver that can watch keys", FailureCode.UNSUPPORTED + " (not in this protocol)");
                return;
            }
            KeyWatch before = watches.put(w.name(), kw);
            if (before != null) {
                before.close();
            }
            // Changes committed once the node answered are streamed: wait for that answer.
            Duration timeout = config.timeouts().waitFor();
            long deadline = System.nanoTime() + timeout.toNanos();
            while (!kw.isStarted() && kw.ended() == null) {
                if (System.nanoTime() - deadline > 0 || !pause(POLL)) {
                    fail(w, b, "the watch to start within " + seconds(timeout), "no answer from " + node);
                    return;
                }
            }
            if (!kw.isStarted()) {
                fail(w, b, "the watch to start", kw.ended());
            }
        }

        private void changes(Statement.Changes c, Bindings b) {
            KeyWatch kw = watches.get(c.name());
            if (kw == null) {
                fail(c, b, "a watch named " + c.name() + " started earlier in the case", "none");
                return;
            }
            Function<String, String> lookup = lookup(b);
            List<KeyWatch.Change> expected = c.changes().stream()
                    .map(ch -> new KeyWatch.Change(
                            ch.type(),
                            ch.key().render(lookup),
                            ch.value() == null ? null : ch.value().render(lookup)))
                    .toList();
            Duration timeout = c.timeout().orElse(config.timeouts().waitFor());
            long deadline = System.nanoTime() + timeout.toNanos();
            while (kw.seen().size() < expected.size() && kw.ended() == null) {
                if (System.nanoTime() - deadline > 0 || !pause(POLL)) {
                    break;
                }
            }
            List<KeyWatch.Change> seen = kw.seen();
            if (!seen.equals(expected)) {
                fail(
                        c,
                        b,
                        describe(expected) + " within " + seconds(timeout),
                        describe(seen) + (kw.ended() == null ? "" : " (the stream ended: " + kw.ended() + ")"));
            }
        }

        private static String describe(List<KeyWatch.Change> changes) {
            return changes.isEmpty()
                    ? "no changes"
                    : changes.stream().map(KeyWatch.Change::describe).collect(Collectors.joining(", ", "[", "]"));
        }

        private void consistent(Statement.Consistent c, Bindings b) {
            List<String> nodes = List.copyOf(config.servers().keySet());
            if (nodes.size() < 2) {
                fail(c, b, "two nodes in the test config", nodes.size() + "");
                return;
            }
            Duration timeout = c.timeout().orElse(config.timeouts().waitFor());
            long deadline = System.nanoTime() + timeout.toNanos();
            while (true) {
                String difference = difference(nodes);
                if (difference == null) {
                    return;
                }
                if (System.nanoTime() - deadline > 0 || !pause(POLL)) {
                    fail(
                            c,
                            b,
                            "equal dumps of " + String.join(" and ", nodes) + " within " + seconds(timeout),
                            difference);
                    return;
                }
            }
        }

        /** How the nodes' dumps differ, or null when they are equal. */
        private String difference(List<String> nodes) {
            String firstName = nodes.get(0);
            OpResult first = drivers.get(firstName).dump(true);
            if (!(first instanceof OpResult.Dump a)) {
                return "dump of " + firstName + ": " + first.describe();
            }
            for (String other : nodes.subList(1, nodes.size())) {
                OpResult r = drivers.get(other).dump(true);
                if (!(r instanceof OpResult.Dump o)) {
                    return "dump of " + other + ": " + r.describe();
                }
                if (!a.entries().equals(o.entries())) {
                    Set<String> keys = new TreeSet<>(a.entries().keySet());
                    keys.addAll(o.entries().keySet());
                    for (String k : keys) {
                        String va = a.entries().get(k);
                        String vo = o.entries().get(k);
                        if (!Objects.equals(va, vo)) {
                            return firstName + " has " + a.entries().size() + " keys, " + other + " "
                                    + o.entries().size()
                                    + "; first difference at key \"" + k + "\": " + firstName + " " + shown(va) + ", "
                                    + other + " " + shown(vo);
                        }
                    }
                }
            }
            return null;
        }

        private String shown(String v) {
            return v == null ? "missing" : "\"" + v + "\"";
        }

        private void verify(Statement.Verify v, Bindings b) {
            String node = v.node().orElse(defaultNode.get());
            server(node);
            Driver d = drivers.get(node);
            for (Map.Entry<String, AckLedger.KeyHistory> e :
                    ledger.acknowledgedKeys().entrySet()) {
                if (aborted.get()) {
                    return;
                }
                OpResult r = d.get(e.getKey());
                Optional<String> actual;
                if (r instanceof OpResult.Value val) {
                    actual = Optional.of(val.value());
                } else if (r instanceof OpResult.Missing) {
                    actual = Optional.empty();
                } else {
                    fail(v, b, "a read of acknowledged key \"" + e.getKey() + "\" on " + node, r.describe());
                    continue;
                }
                if (!e.getValue().accepts(actual)) {
                    fail(v, b, "key \"" + e.getKey() + "\" = " + e.getValue().describeExpected(), r.describe());
                }
            }
        }

        // ---- helpers of this case ----

        private ServerConfig server(String name) {
            ServerConfig s = config.servers().get(name);
            if (s == null) {
                throw new UnknownNodeException("no node named " + name + " (the test config names: "
                        + String.join(", ", config.servers().keySet()) + ")");
            }
            return s;
        }

        private Function<String, String> lookup(Bindings b) {
            return name -> {
                String v = b.values().get(name);
                if (v != null) {
                    return v;
                }
                Matcher fill = Parser.FILL_VARIABLE.matcher(name);
                if (fill.matches()) {
                    return "x".repeat(Integer.parseInt(fill.group(1)));
                }
                int dot = name.lastIndexOf('.');
                ServerConfig s = server(name.substring(0, dot));
                String address = name.endsWith(".grpc") ? s.grpc() : s.http();
                if (address == null) {
                    throw new UnknownNodeException("servers." + s.name() + name.substring(dot) + " is not set");
                }
                return address;
            };
        }

        private void fail(Statement st, Bindings b, String expected, String actual) {
            int n = failureCount.incrementAndGet();
            if (n <= KEPT_FAILURES) {
                synchronized (failures) {
                    failures.add(
                            new StepFailure(st.pos(), script.line(st.pos().line()), b.describe(), expected, actual));
                }
            }
            if (n >= MAX_FAILURES) {
                aborted.set(true);
            }
        }

        private void fatal(Statement st, Bindings b, String expected, String actual) {
            fail(st, b, expected, actual);
            aborted.set(true);
        }
    }

    private static boolean pause(Duration d) {
        try {
            Thread.sleep(d.toMillis());
            return true;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    private static String seconds(Duration d) {
        return d.toMillis() % 1000 == 0 ? d.toSeconds() + "s" : d.toMillis() + "ms";
    }

    static java.util.concurrent.ThreadFactory named(String prefix) {
        AtomicInteger n = new AtomicInteger();
        return r -> {
            Thread t = new Thread(r, prefix + "-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        };
    }
}
