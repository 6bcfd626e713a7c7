package dev.pbkv.server.resp;

import dev.pbkv.server.command.Commands;
import io.netty.util.concurrent.EventExecutor;
import io.netty.util.concurrent.FastThreadLocal;

/**
 * Under fsync no, an event loop writes the log records of its turn itself, once, at the end of
 * the turn (a task queued on the loop runs after the turn's reads), as Redis writes its AOF before
 * it replies: no wake of the log thread per batch and no hop back to the loop for the answers,
 * and still nothing answered before it is written to the OS. The first write command of a turn
 * arms it; one per event loop of the door.
 */
final class TurnLogWrites {
    private final Commands commands;
    /** Event loop only: each loop's own turn; never shared between loops. */
    private final FastThreadLocal<Turn> turns = new FastThreadLocal<>() {
        @Override
        protected Turn initialValue() {
            return new Turn();
        }
    };

    TurnLogWrites(Commands commands) {
        this.commands = commands;
    }

    /** On the event loop, before it makes a write in this turn. */
    void beforeWrite(EventExecutor loop) {
        Turn turn = turns.get();
        if (!turn.armed && commands.expectLogWrite()) {
            turn.armed = true;
            loop.execute(turn);
        }
    }

    private final class Turn implements Runnable {
        /** A task to write this turn's records is queued on the loop. */
        boolean armed;

        @Override
        public void run() {
            armed = false;
            commands.writeExpectedLog();
        }
    }
}
