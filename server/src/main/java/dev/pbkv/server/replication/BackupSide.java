package dev.pbkv.server.replication;

import dev.pbkv.proto.replication.Handover;
import dev.pbkv.proto.replication.Refusal;
import dev.pbkv.proto.replication.Welcome;

/**
 * What the backup side of the replicator offers its {@link BackupLink}: the link reports the
 * primary's answers and its own end here. Implemented by {@link BackupCatchUp}.
 *
 * <p>Threads: called on the stream's gRPC delivery thread; each method hands its decision to the
 * control thread and returns at once, so the stream keeps its order and pace.
 */
interface BackupSide {
    /** The primary accepted the subscription. */
    void onWelcome(BackupLink link, Welcome welcome);

    /** The primary refused the subscription (diverged, snapshot needed, not primary...). */
    void onRefusal(BackupLink link, Refusal refusal);

    /** The stream ended (error, completion, apply failure, silence); idempotent. */
    void onEnded(BackupLink link, String cause);

    /** The digest round finished here: whether every bucket matched at offset. */
    void onDigestCompared(BackupLink link, long offset, boolean match, int differingBuckets, long entries);

    /** The primary hands its role over at the handover's last offset (switchover). */
    void onHandover(BackupLink link, Handover handover);
}
