package dev.pbkv.server.command;

import com.google.common.util.concurrent.ThreadFactoryBuilder;
import dev.pbkv.server.config.ExpirySettings;
import dev.pbkv.server.replication.Replicator;
import dev.pbkv.server.role.Role;
import dev.pbkv.store.Mutation;
import dev.pbkv.store.Store;
import dev.pbkv.store.map.Lookup;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BooleanSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Removes expired keys on the primary, through the replicator (the store's only writer), as an
 * {@code EXPIRED} write per key: lazily when a read finds a key expired ({@link #expireLazily}),
 * and actively in rounds as Redis does: draw {@code expiry.sample-size} keys at random among
 * those with a deadline (never a scan of the store), expire those due, and repeat while more than
 * a quarter of the draw was due and the round's {@code expiry.round-budget-ms} lasts. See
 * docs/expiry.md.
 *
 * <p>Only on the primary: a backup never deletes by its own clock, it hides expired keys from
 * reads and waits for the primary's records. Each write is checked again under the store's write
 * lock ({@link dev.pbkv.store.Op#EXPIRED}), so a key rewritten since it was drawn stays.
 *
 * <p>Thread: one "pbkv-expirer" thread, owned and shut down here. A round waits for its own
 * writes to be committed before the next one starts, so the expirer never has more than one
 * round of writes in flight.
 */
final class ActiveExpirer implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(ActiveExpirer.class);
    /** How long a round waits for its writes before it gives up on them (they go on). */
    private static final long ROUND_WRITES_TIMEOUT_MS = 5_000;

    private final Store store;
    private final Replicator replicator;
    private final ExpirySettings settings;
    private final BooleanSupplier closed;
    private final Random random = new Random();
    private final ScheduledExecutorService executor;
    /** Keys removed by this node as primary (both ways); for status and tests. */
    private final AtomicLong expired = new AtomicLong();

    ActiveExpirer(Store store, Replicator replicator, ExpirySettings settings, BooleanSupplier closed) {
        this.store = store;
        this.replicator = replicator;
        this.settings = settings;
        this.closed = closed;
        this.executor = Executors.newSingleThreadScheduledExecutor(new ThreadFactoryBuilder()
                .setNameFormat("pbkv-expirer")
                .setDaemon(true)
                .build());
        if (settings.activeIntervalMs() > 0) {
            executor.scheduleWithFixedDelay(
                    this::round, settings.activeIntervalMs(), settings.activeIntervalMs(), TimeUnit.MILLISECONDS);
        }
    }

    /** A read found key expired: on the primary, queue its removal (the read answers "absent" anyway). */
    void expireLazily(byte[] key) {
        if (replicator.role() != Role.PRIMARY || closed.getAsBoolean()) {
            return;
        }
        submit(key);
    }

    private CompletableFuture<?> submit(byte[] key) {
        return replicator
                .write(Mutation.expired(key, store.nowMillis()))
                .thenAccept(r -> {
                    if (r.changed()) {
                        expired.incrementAndGet();
                    }
                })
                .exceptionally(t -> {
                    // Not primary any more, or stepping down: the next primary expires the key.
                    log.debug("expiring a key failed: {}", t.toString());
                    return null;
                });
    }

    /** One round of active expiry; runs on the expirer thread. */
    private void round() {
        try {
            if (replicator.role() != Role.PRIMARY || closed.getAsBoolean() || store.expiringCount() == 0) {
                return;
            }
            long endNanos = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(settings.roundBudgetMs());
            boolean again;
            do {
                List<byte[]> drawn = store.sampleExpiring(settings.sampleSize(), random);
                long now = store.nowMillis();
                List<CompletableFuture<?>> writes = new ArrayList<>();
                for (byte[] key : drawn) {
                    Lookup held = store.lookupHeld(key);
                    if (held.found() && held.deadline() != 0 && held.deadline() <= now) {
                        writes.add(submit(key));
                    }
                }
                if (!writes.isEmpty()) {
                    CompletableFuture.allOf(writes.toArray(new CompletableFuture<?>[0]))
                            .get(ROUND_WRITES_TIMEOUT_MS, TimeUnit.MILLISECONDS);
                }
                again = !drawn.isEmpty() && writes.size() * 4 > drawn.size() && System.nanoTime() < endNanos;
            } while (again && !closed.getAsBoolean());
        } catch (TimeoutException e) {
            log.warn("active expiry: a round's writes were not committed within {} ms", ROUND_WRITES_TIMEOUT_MS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (Exception e) {
            log.warn("active expiry round failed", e);
        }
    }

    /** Keys this node removed as primary since it started. */
    long expiredCount() {
        return expired.get();
    }

    @Override
    public void close() {
        executor.shutdownNow();
    }
}
