package dev.pbkv.server.net;

import io.netty.util.concurrent.EventExecutor;
import io.netty.util.concurrent.FastThreadLocal;
import io.netty.util.internal.ThreadExecutorMap;
import java.util.function.BooleanSupplier;

/**
 * Under fsync no, an event loop writes the log records of its turn itself, once, at the end of
 * the turn (a task queued on the loop runs after the turn's reads), as Redis writes its AOF before
 * it replies: no wake of the log thread per batch and no hop back to the loop for the answers,
 * and still nothing answered before it is written to the OS. The first write of a turn arms it;
 * one per event loop of a door. A door gives it the command layer's promise and its keeping
 * ({@code Commands.expectLogWrite}, {@code Commands.writeExpectedLog}).
 */
public final class TurnLogWrites {
    private final BooleanSupplier expectWrite;
    private final Runnable writeExpected;
    /** Event loop only: each loop's own turn; never shared between loops. */
    private final FastThreadLocal<Turn> turns = new FastThreadLocal<>() {
        @Override
        protected Turn initialValue() {
            return new Turn();
        }
    };

    public TurnLogWrites(BooleanSupplier expectWrite, Runnable writeExpected) {
        this.expectWrite = expectWrite;
        this.writeExpected = writeExpected;
    }

    /** On the event loop, before it makes a write in this turn; nothing on another thread. */
    public void beforeWrite(EventExecutor loop) {
        if (!loop.inEventLoop()) {
            return; // a turn belongs to its loop's thread
        }
        Turn turn = turns.get();
        if (!turn.armed && expectWrite.getAsBoolean()) {
            turn.armed = true;
            loop.execute(turn);
        }
    }

    /**
     * As {@link #beforeWrite(EventExecutor)} on the event loop running this thread (gRPC calls
     * its inline handlers there); nothing when this thread is not an event loop, whose writes
     * then wake the log thread as usual.
     */
    public void beforeWriteOnThisLoop() {
        EventExecutor loop = ThreadExecutorMap.currentExecutor();
        if (loop != null) {
            beforeWrite(loop);
        }
    }

    private final class Turn implements Runnable {
        /** A task to write this turn's records is queued on the loop. */
        boolean armed;

        @Override
        public void run() {
            armed = false;
            writeExpected.run();
        }
    }
}
