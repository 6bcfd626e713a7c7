package dev.pbkv.server.replication;

import dev.pbkv.proto.replication.DigestReply;
import dev.pbkv.proto.replication.PeerInfo;

/**
 * What the primary side of the replicator offers one {@link PrimarySession}: the session reports
 * the backup's messages and its own end here, and reads the few facts it ships. Implemented by
 * {@link AttachedBackup}.
 *
 * <p>Threads: every method may be called on the session's gRPC or sender thread; those that
 * decide something hand it to the control thread and return at once. {@link #onAck} is the hot
 * path and touches only the commit tracker.
 */
interface PrimarySide {
    /** The backup subscribed with its history: accept (session.accept) or refuse, on the control thread. */
    void onSubscribe(PrimarySession session, PeerInfo backup);

    /** The backup acknowledged everything up to offset as applied and durable. */
    void onAck(PrimarySession session, long offset);

    /** The backup answered the digest round. */
    void onDigestReply(PrimarySession session, DigestReply reply);

    /** The stream ended (error, cancel, close, silence, or the session gave up); idempotent. */
    void onEnded(PrimarySession session, String cause);

    /** The sender fenced bucket (-1: the whole map) and read its digest at offset at; records and the check go out next. */
    void onDigestCut(int bucket, long at);

    /** The committed offset, shipped with batches and heartbeats. */
    long committedOffset();

    /** The lowest offset whose successors the log still serves (below it the backup needs a snapshot). */
    long retainedFloor();

    /** This node as the backup sees it (in a refusal). */
    PeerInfo selfInfo();
}
