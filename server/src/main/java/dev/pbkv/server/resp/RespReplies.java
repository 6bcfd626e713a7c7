package dev.pbkv.server.resp;

import dev.pbkv.server.command.BackupAck;
import dev.pbkv.server.command.ErrorCode;
import dev.pbkv.server.command.Reply;
import dev.pbkv.server.command.WriteAck;
import io.netty.buffer.ByteBuf;

/**
 * How one command layer result becomes one RESP reply, for the commands whose replies several
 * requests share (GET, SET and its NX/XX forms, DEL, counts). Each answers whether the result was
 * a success, for the door's metrics; a failure becomes the error line of {@link RespErrors}.
 */
final class RespReplies {

    private RespReplies() {}

    static boolean encodeGet(Reply<byte[]> r, ByteBuf o) {
        if (r instanceof Reply.Success<byte[]> s) {
            RespWriter.bulk(o, s.value());
            return true;
        }
        Reply.Failure<byte[]> f = (Reply.Failure<byte[]>) r;
        if (f.code() == ErrorCode.NOT_FOUND) {
            RespWriter.nil(o);
            return true;
        }
        RespWriter.error(o, RespErrors.toErrorLine(f, false));
        return false;
    }

    /** SET ... GET: the old value, or nil when there was none; a failure is a write's error line. */
    static boolean encodeOldValue(Reply<byte[]> r, ByteBuf o) {
        if (r instanceof Reply.Failure<byte[]> f) {
            RespWriter.error(o, RespErrors.toErrorLine(f, true));
            return false;
        }
        RespWriter.bulk(o, ((Reply.Success<byte[]>) r).value());
        return true;
    }

    /** SAVE: +OK once the backup is written, else its error. */
    static boolean encodeBackupOk(Reply<BackupAck> r, ByteBuf o) {
        if (r instanceof Reply.Failure<BackupAck> f) {
            RespWriter.error(o, backupErrorLine(f));
            return false;
        }
        RespWriter.ok(o);
        return true;
    }

    /** A refused or failed backup as Redis words it where it has words for it (a save in progress). */
    static String backupErrorLine(Reply.Failure<?> f) {
        return switch (f.code()) {
            case RESOURCE_EXHAUSTED -> "ERR Background save already in progress (" + f.message() + ")";
            case ALREADY_EXISTS -> "ERR " + f.message();
            default -> RespErrors.toErrorLine(f, false);
        };
    }

    static boolean encodeWriteOk(Reply<WriteAck> r, ByteBuf o) {
        if (r instanceof Reply.Failure<WriteAck> f) {
            RespWriter.error(o, RespErrors.toErrorLine(f, true));
            return false;
        }
        RespWriter.ok(o);
        return true;
    }

    /** SET NX / XX: the condition not holding is a nil reply, not an error. */
    static boolean encodeConditionalWrite(Reply<WriteAck> r, ByteBuf o, ErrorCode conditionFailed) {
        if (r instanceof Reply.Failure<WriteAck> f) {
            if (f.code() == conditionFailed) {
                RespWriter.nil(o);
                return true;
            }
            RespWriter.error(o, RespErrors.toErrorLine(f, true));
            return false;
        }
        RespWriter.ok(o);
        return true;
    }

    static boolean encodeDeleted(Reply<WriteAck> r, ByteBuf o) {
        if (r instanceof Reply.Success) {
            RespWriter.integer(o, 1);
            return true;
        }
        Reply.Failure<WriteAck> f = (Reply.Failure<WriteAck>) r;
        if (f.code() == ErrorCode.NOT_FOUND) {
            RespWriter.integer(o, 0);
            return true;
        }
        RespWriter.error(o, RespErrors.toErrorLine(f, true));
        return false;
    }

    static boolean encodeInteger(Reply<Long> r, ByteBuf o) {
        if (r instanceof Reply.Success<Long> s) {
            RespWriter.integer(o, s.value());
            return true;
        }
        RespWriter.error(o, RespErrors.toErrorLine((Reply.Failure<Long>) r, false));
        return false;
    }
}
