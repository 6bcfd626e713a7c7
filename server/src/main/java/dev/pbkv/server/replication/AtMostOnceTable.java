package dev.pbkv.server.replication;

import com.google.common.cache.Cache;
import com.google.common.cache.CacheBuilder;
import dev.pbkv.store.BatchOutcome;
import dev.pbkv.store.Effect;
import dev.pbkv.store.LogRecord;
import dev.pbkv.store.Store;
import dev.pbkv.store.TailNotRetainedException;
import dev.pbkv.store.WriteOutcome;
import dev.pbkv.store.WriteResult;
import java.io.IOException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Recent write results per client id, so a write retried with the same (client id, sequence) is
 * answered with its first result and not applied again. The primary fills it as it applies
 * writes; the backup fills it from the client id and sequence carried in each replicated record,
 * so the table survives a switchover or promotion. Bounded: the least recently used clients are
 * dropped beyond maxClients, and each client keeps its last perClient results; a retry older than
 * that is applied again.
 */
final class AtMostOnceTable {
    private static final Logger log = LoggerFactory.getLogger(AtMostOnceTable.class);
    private static final byte[] EMPTY = new byte[0];
    /** Records of the log tail replayed into the table at start and after a truncation. */
    private static final long REPLAYED_TAIL_RECORDS = 200_000;

    private final Cache<Long, ClientWindow> clients;
    private final int perClient;

    AtMostOnceTable(int maxClients, int perClient) {
        this.clients = CacheBuilder.newBuilder().maximumSize(maxClients).build();
        this.perClient = perClient;
    }

    /** The last results of one client, oldest first; guarded by its own monitor. */
    private static final class ClientWindow {
        private final LinkedHashMap<Long, CompletableFuture<WriteResult>> results;

        ClientWindow(int capacity) {
            results = new LinkedHashMap<>(16, 0.75f, false) {
                @Override
                protected boolean removeEldestEntry(Map.Entry<Long, CompletableFuture<WriteResult>> eldest) {
                    return size() > capacity;
                }
            };
        }
    }

    /**
     * Registers fresh as the result of (clientId, sequence) and returns null, or returns the
     * result registered earlier (possibly still in flight) and leaves the table alone.
     */
    CompletableFuture<WriteResult> claim(long clientId, long sequence, CompletableFuture<WriteResult> fresh) {
        ClientWindow w = window(clientId);
        synchronized (w) {
            CompletableFuture<WriteResult> earlier = w.results.putIfAbsent(sequence, fresh);
            return earlier;
        }
    }

    /** Forgets a claim whose write was not applied (refused), so a retry may apply it. */
    void release(long clientId, long sequence, CompletableFuture<WriteResult> claimed) {
        ClientWindow w = clients.getIfPresent(clientId);
        if (w != null) {
            synchronized (w) {
                w.results.remove(sequence, claimed);
            }
        }
    }

    /** Records a write applied from the log (backup, or rebuilt at start); existedBefore tells insert from replace. */
    void recordReplayed(LogRecord rec, boolean existedBefore) {
        if (rec.clientId() == 0) {
            return;
        }
        WriteOutcome outcome = switch (rec.effect()) {
            case DELETE -> WriteOutcome.DELETED;
            // A tagged write that found its key expired removed it and was answered "absent".
            case EXPIRED -> WriteOutcome.ABSENT;
            case EXPIRE -> WriteOutcome.REPLACED;
            case PUT -> existedBefore ? WriteOutcome.REPLACED : WriteOutcome.CREATED;
            case BATCH -> WriteOutcome.APPLIED; // what each operation saw is not in the log
        };
        LogRecord slim =
                new LogRecord(rec.offset(), rec.epoch(), rec.effect(), EMPTY, EMPTY, rec.clientId(), rec.sequence());
        BatchOutcome batch = rec.effect() == Effect.BATCH ? BatchOutcome.UNKNOWN : null;
        ClientWindow w = window(rec.clientId());
        synchronized (w) {
            w.results.put(
                    rec.sequence(),
                    CompletableFuture.completedFuture(new WriteResult(outcome, slim, rec.offset(), batch)));
        }
    }

    /** The result without the key and value bytes, to keep in the table. */
    static WriteResult slim(WriteResult r) {
        LogRecord rec = r.record();
        BatchOutcome batch = r.batch() == null ? null : r.batch().slim();
        if (rec == null) {
            return r.batch() == null && r.previous() == null
                    ? r
                    : new WriteResult(r.outcome(), null, r.answerOffset(), batch);
        }
        return new WriteResult(
                r.outcome(),
                new LogRecord(rec.offset(), rec.epoch(), rec.effect(), EMPTY, EMPTY, rec.clientId(), rec.sequence()),
                r.answerOffset(),
                batch);
    }

    /** Replays the log's tail into the table, so retries across a restart are answered too; a failure is logged. */
    void replayLogTail(Store store, String nodeId) {
        try {
            long last = store.lastOffset();
            long after = Math.max(store.logBaseOffset(), last - REPLAYED_TAIL_RECORDS);
            while (after < last) {
                List<LogRecord> recs = store.readLog(after, 4096);
                if (recs.isEmpty()) {
                    break;
                }
                for (LogRecord r : recs) {
                    recordReplayed(r, false);
                }
                after = recs.get(recs.size() - 1).offset();
            }
        } catch (TailNotRetainedException | IOException | RuntimeException e) {
            log.warn("{}: could not rebuild the at-most-once table from the log: {}", nodeId, e.toString());
        }
    }

    /** Forgets everything (after a snapshot install or a truncation, whose results it may no longer match). */
    void clear() {
        clients.invalidateAll();
    }

    long clientCount() {
        return clients.size();
    }

    private ClientWindow window(long clientId) {
        try {
            return clients.get(clientId, () -> new ClientWindow(perClient));
        } catch (ExecutionException e) {
            throw new IllegalStateException(e.getCause());
        }
    }
}
