package dev.pbkv.server.resp;

import dev.pbkv.server.command.BatchAck;
import dev.pbkv.server.command.BatchStep;
import dev.pbkv.server.command.ErrorCode;
import dev.pbkv.server.command.Reply;
import io.netty.buffer.ByteBuf;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The RESP commands that run as one atomic batch (docs/batches.md, docs/resp.md): MSET, MSETNX,
 * multi-key DEL, and the simple commands queued between MULTI and EXEC. Each becomes batch steps
 * and, once the batch is committed, its Redis reply from what each step saw.
 */
final class RespBatches {
    private RespBatches() {}

    /** One command's part of a batch: its steps and how its reply reads their answers. */
    record Part(RespCommand command, List<BatchStep> steps, Rendering rendering) {}

    /** How a part's reply is written from the values its steps saw (null: the key was absent). */
    enum Rendering {
        /** +OK (SET, PUT, MSET). */
        OK,
        /** :n, the keys that existed (DEL, DELETE, EXISTS). */
        EXISTED_COUNT,
        /** the bulk value, or nil (GET). */
        VALUE,
        /** an array of values (MGET). */
        VALUES
    }

    /**
     * The part of a command allowed in a batch (arity already checked), or null when it is not
     * allowed between MULTI and EXEC: only SET without options, PUT, DEL, DELETE, MSET, GET, MGET
     * and EXISTS, which cannot fail on their own once the batch's limits are met.
     */
    static Part partOf(RespCommand command, byte[][] args) {
        return switch (command) {
            case SET ->
                args.length == 3 ? new Part(command, List.of(BatchStep.put(args[1], args[2])), Rendering.OK) : null;
            case PUT -> new Part(command, List.of(BatchStep.put(args[1], args[2])), Rendering.OK);
            case MSET -> (args.length - 1) % 2 == 0 ? new Part(command, msetSteps(args), Rendering.OK) : null;
            case DEL, DELETE -> new Part(command, keySteps(args, BatchStep.Kind.DELETE), Rendering.EXISTED_COUNT);
            case EXISTS -> new Part(command, keySteps(args, BatchStep.Kind.GET), Rendering.EXISTED_COUNT);
            case GET -> new Part(command, keySteps(args, BatchStep.Kind.GET), Rendering.VALUE);
            case MGET -> new Part(command, keySteps(args, BatchStep.Kind.GET), Rendering.VALUES);
            default -> null;
        };
    }

    /** MSET k v [k v ...]: puts in order (a repeated key ends with its last value, as in Redis). */
    static List<BatchStep> msetSteps(byte[][] args) {
        List<BatchStep> steps = new ArrayList<>(args.length / 2);
        for (int i = 1; i + 1 < args.length; i += 2) {
            steps.add(BatchStep.put(args[i], args[i + 1]));
        }
        return steps;
    }

    /**
     * MSETNX k v [k v ...]: one insert per distinct key with its last value, so a repeated key is
     * checked once against the store, as Redis checks every key before it sets any.
     */
    static List<BatchStep> msetnxSteps(byte[][] args) {
        Map<java.nio.ByteBuffer, byte[]> last = new LinkedHashMap<>();
        for (int i = 1; i + 1 < args.length; i += 2) {
            last.put(java.nio.ByteBuffer.wrap(args[i]), args[i + 1]);
        }
        List<BatchStep> steps = new ArrayList<>(last.size());
        last.forEach((k, v) -> steps.add(BatchStep.insert(k.array(), v)));
        return steps;
    }

    static List<BatchStep> keySteps(byte[][] args, BatchStep.Kind kind) {
        List<BatchStep> steps = new ArrayList<>(args.length - 1);
        for (int i = 1; i < args.length; i++) {
            steps.add(new BatchStep(kind, args[i], null));
        }
        return steps;
    }

    /** The steps of parts, in order. */
    static List<BatchStep> stepsOf(List<Part> parts) {
        List<BatchStep> steps = new ArrayList<>();
        for (Part p : parts) {
            steps.addAll(p.steps());
        }
        return steps;
    }

    /** One part's reply from the values its steps saw. */
    static void render(Part part, List<byte[]> before, ByteBuf o) {
        switch (part.rendering()) {
            case OK -> RespWriter.ok(o);
            case EXISTED_COUNT -> {
                long n = 0;
                for (byte[] b : before) {
                    n += b == null ? 0 : 1;
                }
                RespWriter.integer(o, n);
            }
            case VALUE -> RespWriter.bulk(o, before.get(0));
            case VALUES -> {
                RespWriter.arrayHeader(o, before.size());
                for (byte[] b : before) {
                    RespWriter.bulk(o, b);
                }
            }
        }
    }

    /** The reply of a single command run as a batch (MSET, DEL k1 k2 ...). */
    static boolean encode(Part part, Reply<BatchAck> r, ByteBuf o) {
        if (r instanceof Reply.Failure<BatchAck> f) {
            RespWriter.error(o, RespErrors.toErrorLine(f, true));
            return false;
        }
        render(part, ((Reply.Success<BatchAck>) r).value().before(), o);
        return true;
    }

    /** MSETNX: 1 when every key was set, 0 when one existed and none was set. */
    static boolean encodeMsetnx(Reply<BatchAck> r, ByteBuf o) {
        if (r instanceof Reply.Failure<BatchAck> f && f.code() == ErrorCode.ALREADY_EXISTS) {
            RespWriter.integer(o, 0);
            return true;
        }
        if (r instanceof Reply.Failure<BatchAck> f) {
            RespWriter.error(o, RespErrors.toErrorLine(f, true));
            return false;
        }
        RespWriter.integer(o, 1);
        return true;
    }

    /** EXEC: an array of each queued command's reply, or the one error that refused the whole batch. */
    static boolean encodeExec(List<Part> parts, Reply<BatchAck> r, ByteBuf o) {
        if (r instanceof Reply.Failure<BatchAck> f) {
            RespWriter.error(o, RespErrors.toErrorLine(f, true));
            return false;
        }
        List<byte[]> before = ((Reply.Success<BatchAck>) r).value().before();
        RespWriter.arrayHeader(o, parts.size());
        int at = 0;
        for (Part p : parts) {
            int n = p.steps().size();
            render(p, before.subList(at, at + n), o);
            at += n;
        }
        return true;
    }
}
