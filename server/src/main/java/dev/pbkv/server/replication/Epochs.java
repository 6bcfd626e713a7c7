package dev.pbkv.server.replication;

import dev.pbkv.proto.replication.EpochAtResponse;
import dev.pbkv.proto.replication.PeerInfo;
import dev.pbkv.proto.replication.Refusal;
import dev.pbkv.server.role.Role;
import dev.pbkv.store.SnapshotHandle;
import dev.pbkv.store.Store;
import dev.pbkv.store.TailNotRetainedException;
import java.io.IOException;
import java.util.List;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Epochs and history ranking: which epoch a new primary takes (epochs made by the configured
 * primary are odd, by the configured backup even, so the two never make the same one), the epoch
 * of the record at an offset, whether a subscriber's history is in this node's, and which of two
 * histories ranks higher. See docs/replication.md "Epochs and fencing".
 *
 * <p>Threads: stateless reads of the store, safe on any thread; {@link #installed} is written by
 * the transfer thread that installed a snapshot.
 */
final class Epochs {
    private static final Logger log = LoggerFactory.getLogger(Epochs.class);

    private final Store store;
    private final Role configuredRole;
    private final String nodeId;
    /**
     * The last snapshot installed here (offset, epoch of its last record): the log holds no record
     * at that offset, so its epoch is kept. Written epoch first, so a reader that sees the offset
     * sees its epoch.
     */
    private volatile long installedOffset = -1;

    private volatile long installedEpoch;
    /** Test seam: pretend the log holds only records above this offset (forces snapshot catch-up). */
    private volatile LongSupplier retainedFloor = () -> 0;

    Epochs(Store store, Role configuredRole, String nodeId) {
        this.store = store;
        this.configuredRole = configuredRole;
        this.nodeId = nodeId;
    }

    /** The next epoch this node may make, above atLeastAbove. */
    long nextEpoch(long atLeastAbove) {
        long e = atLeastAbove + 1;
        return e % 2 == parity() ? e : e + 1;
    }

    private long parity() {
        return configuredRole == Role.PRIMARY ? 1 : 0;
    }

    /**
     * Orders two histories by their records: the newer last record's epoch, then the longer log,
     * then the configured primary, then id. Never by the node's own epoch: a node may have raised
     * it for itself, and that says nothing of which history holds the acknowledged writes.
     */
    static int compareHistories(PeerInfo a, PeerInfo b) {
        int c = Long.compare(a.getLastRecordEpoch(), b.getLastRecordEpoch());
        if (c == 0) {
            c = Long.compare(a.getLastOffset(), b.getLastOffset());
        }
        if (c == 0) {
            c = Boolean.compare(
                    a.getConfiguredRole() == dev.pbkv.proto.Role.PRIMARY,
                    b.getConfiguredRole() == dev.pbkv.proto.Role.PRIMARY);
        }
        if (c == 0) {
            c = b.getNodeId().compareTo(a.getNodeId());
        }
        return Integer.signum(c);
    }

    /** A snapshot at offset, whose last record has epoch, was installed here. */
    void installed(long offset, long epoch) {
        installedEpoch = epoch;
        installedOffset = offset;
    }

    /** The epoch of this node's record at offset (0 at offset 0); throws when the store cannot tell. */
    long epochAt(long offset) throws TailNotRetainedException, IOException {
        return offset == 0 ? 0 : offset == installedOffset ? installedEpoch : store.epochAt(offset);
    }

    /** The epoch of this node's last record, 0 when unknown. */
    long lastRecordEpoch() {
        long last = store.lastOffset();
        if (last == 0) {
            return 0;
        }
        try {
            return epochAt(last);
        } catch (TailNotRetainedException | IOException | RuntimeException e) {
            return 0;
        }
    }

    /**
     * Null when a subscriber's last record (offset, recordEpoch) is in this node's history; else
     * why not. pinned is the snapshot kept for a backup, whose offset the log may no longer hold.
     */
    Refusal.Reason historyMismatch(long offset, long recordEpoch, SnapshotHandle pinned) {
        if (offset > store.lastOffset()) {
            return Refusal.Reason.DIVERGED;
        }
        if (offset == 0) {
            return null;
        }
        if (pinned != null && pinned.offset() == offset) {
            return pinned.epoch() == recordEpoch ? null : Refusal.Reason.DIVERGED;
        }
        if (offset < retainedFloor()) {
            return Refusal.Reason.SNAPSHOT_NEEDED;
        }
        try {
            return epochAt(offset) == recordEpoch ? null : Refusal.Reason.DIVERGED;
        } catch (TailNotRetainedException e) {
            return Refusal.Reason.SNAPSHOT_NEEDED;
        } catch (IOException | RuntimeException e) {
            log.warn("{}: could not read the epoch at offset {}: {}", nodeId, offset, e.toString());
            return Refusal.Reason.SNAPSHOT_NEEDED;
        }
    }

    /** The answer to the backup's divergence search: the epochs of this node's records at offsets. */
    EpochAtResponse epochsAt(List<Long> offsets) {
        EpochAtResponse.Builder b = EpochAtResponse.newBuilder();
        for (long o : offsets) {
            long e = 0;
            boolean known = false;
            try {
                if (o <= store.lastOffset() && o >= retainedFloor()) {
                    e = epochAt(o);
                    known = true;
                }
            } catch (TailNotRetainedException | IOException | RuntimeException ex) {
                known = false;
            }
            b.addEpochs(e).addKnown(known);
        }
        return b.build();
    }

    /** The lowest offset whose successors this node still serves from its log (0 unless a test says otherwise). */
    long retainedFloor() {
        return retainedFloor.getAsLong();
    }

    void setRetainedFloorForTests(LongSupplier floor) {
        this.retainedFloor = floor;
    }
}
