package dev.pbkv.server.resp;

import java.util.ArrayList;
import java.util.List;

/**
 * One connection's MULTI ... EXEC: the commands queued so far, and whether one was refused (then
 * EXEC answers EXECABORT and nothing runs, as in Redis). Event-loop confined, like its handler.
 */
final class RespTransaction {
    static final String EXECABORT = "EXECABORT Transaction discarded because of previous errors.";

    private final List<RespBatches.Part> parts = new ArrayList<>();
    private boolean aborted;

    /** Queues the command; answers the error line when it may not be queued (and marks the transaction aborted). */
    String queue(RespCommand command, byte[][] args) {
        RespBatches.Part part = RespBatches.partOf(command, args);
        if (part == null) {
            aborted = true;
            return "ERR " + command.lowerName + (command == RespCommand.SET ? " with options" : "")
                    + " is not allowed in MULTI (pbkv runs MULTI ... EXEC as one atomic batch of SET, PUT,"
                    + " MSET, DEL, DELETE, GET, MGET and EXISTS)";
        }
        parts.add(part);
        return null;
    }

    /** Marks the transaction aborted: an unknown command or a wrong arity was queued. */
    void abort() {
        aborted = true;
    }

    boolean aborted() {
        return aborted;
    }

    List<RespBatches.Part> parts() {
        return parts;
    }
}
