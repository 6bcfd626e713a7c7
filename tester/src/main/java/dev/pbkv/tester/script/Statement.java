package dev.pbkv.tester.script;

import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.Set;

/** One statement of a {@code .test} file; {@code pos} is where its first word stands. */
public sealed interface Statement {
    Position pos();

    /** {@code reset}: stop both nodes, run their clean commands, start both, wait until they answer. */
    record Reset(Position pos) implements Statement {}

    /** What {@link NodeAction} does to a node. */
    enum Action {
        START,
        STOP,
        KILL,
        RESTART,
        /** Freezes the node's process (SIGSTOP): it accepts connections but answers nothing. */
        PAUSE,
        /** Lets a paused node go on (SIGCONT). */
        RESUME,
        /** Wipes the node's data (the node should be stopped). */
        CLEAN
    }

    /** {@code start|stop|kill|restart|pause|resume|clean <node>}: runs the node's commands from the test config. */
    record NodeAction(Position pos, Action action, String node) implements Statement {}

    /** {@code wait <node> <TARGET> [timeout]}. */
    record Wait(Position pos, String node, WaitTarget target, Optional<Duration> timeout) implements Statement {}

    /** {@code use <node>}: later operations without {@code on} go to this node. */
    record Use(Position pos, String node) implements Statement {}

    /**
     * An operation: {@code insert k v [on node] [expect ...]}, {@code promote backup [expect ...]}.
     * {@code node} is empty when the statement relies on the current default node.
     */
    record Operation(Position pos, OpKind kind, List<Template> args, Optional<String> node, Expectation expectation)
            implements Statement {
        public Operation {
            args = List.copyOf(args);
        }
    }

    /**
     * {@code concurrent [N] { body } [alongside { side }]}: N workers run the body at once while one
     * more thread runs the side block; the statement ends when all of them have.
     */
    record Concurrent(Position pos, OptionalInt workers, List<Statement> body, List<Statement> alongside)
            implements Statement {
        public Concurrent {
            body = List.copyOf(body);
            alongside = List.copyOf(alongside);
        }
    }

    /** {@code repeat N { body }} with {@code ${i}} from 0 to N-1. */
    record Repeat(Position pos, int times, List<Statement> body) implements Statement {
        public Repeat {
            body = List.copyOf(body);
        }
    }

    /**
     * {@code busy N { body }}: N threads of the tester spin on the CPU while the body runs, as
     * {@code while :; do :; done} loops would: the nodes get the cores late, their probes and
     * heartbeats are late, and roles must still be decided safely.
     */
    record Busy(Position pos, int threads, List<Statement> body) implements Statement {
        public Busy {
            body = List.copyOf(body);
        }
    }

    /**
     * {@code requires FEATURE... { body }}: the body runs only when the servers' contract offers
     * every feature (pbkv, alone, strict); else its statements are counted as skipped. With
     * {@code header}, the line {@code requires FEATURE...} at the top of a file: the whole case
     * needs them ({@link Script#requires()}); the parser never leaves a header among the statements.
     */
    record Requires(Position pos, Set<String> features, List<Statement> body, boolean header) implements Statement {
        public Requires {
            features = Set.copyOf(features);
            body = List.copyOf(body);
        }
    }

    /** {@code sleep <duration>}. */
    record Sleep(Position pos, Duration duration) implements Statement {}

    /** {@code run <program> [args...] expect <exit code>}. */
    record Run(Position pos, List<Template> argv, int exitCode) implements Statement {
        public Run {
            argv = List.copyOf(argv);
        }
    }

    /**
     * {@code watch NAME KEY [on node]} or {@code watch NAME prefix P [on node]}: starts recording the
     * changes of a key (or of the keys under a prefix) from now, under NAME.
     */
    record Watch(Position pos, String name, Template key, boolean prefix, Optional<String> node) implements Statement {}

    /** One change a {@code changes} block expects: set (with a value), delete or expired. */
    record Change(String type, Template key, Template value) {}

    /**
     * {@code changes NAME [timeout] { set k v  delete k  expired k }}: within the timeout, watch NAME
     * has seen exactly these changes, in this order.
     */
    record Changes(Position pos, String name, List<Change> changes, Optional<Duration> timeout) implements Statement {
        public Changes {
            changes = List.copyOf(changes);
        }
    }

    /** {@code consistent [timeout]}: the two nodes' dumps become equal within the timeout. */
    record Consistent(Position pos, Optional<Duration> timeout) implements Statement {}

    /**
     * {@code verify [on node]}: every write acknowledged so far in this case reads back with its
     * value (or as absent, for an acknowledged delete).
     */
    record Verify(Position pos, Optional<String> node) implements Statement {}
}
