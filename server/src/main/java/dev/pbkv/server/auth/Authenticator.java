package dev.pbkv.server.auth;

import dev.pbkv.server.config.AuthSettings;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Checks user names and passwords for every door. A password hash costs about a tenth of a second
 * by design, so it is never computed on the caller's thread (the doors call from event loops): it
 * runs on this object's one thread, and a failed attempt is answered only after the configured
 * delay. Credentials that matched once are remembered (by a SHA-256 of name and password, never
 * the password itself), so HTTP and gRPC, which send them with every request, pay the hash once.
 */
public final class Authenticator implements AutoCloseable {
    /** Verifications queued beyond this are failed at once: a flood of guesses must not grow a queue. */
    static final int MAX_PENDING = 256;

    /** Remembered matches; cleared when it reaches this size, so it stays bounded. */
    static final int MAX_REMEMBERED = 10_000;

    private record User(Access access, PasswordHash hash) {}

    private final Map<String, User> users;
    private final long failureDelayMs;
    /** Hashes attempts and delays failures; one thread, so guessing in parallel is no faster. */
    private final ScheduledExecutorService worker;
    /** SHA-256 of name, NUL, password (hex) to the principal it proved; only matches are kept. */
    private final Map<String, Principal> remembered = new ConcurrentHashMap<>();
    /** Verifications handed to the worker and not yet answered (bounded by MAX_PENDING). */
    private final AtomicInteger pending = new AtomicInteger();

    private final AtomicLong failures = new AtomicLong();
    private final PasswordHash decoy;

    private Authenticator(Map<String, User> users, long failureDelayMs) {
        this.users = users;
        this.failureDelayMs = failureDelayMs;
        this.worker = users.isEmpty()
                ? null
                : Executors.newSingleThreadScheduledExecutor(r -> {
                    Thread t = new Thread(r, "pbkv-auth");
                    t.setDaemon(true);
                    return t;
                });
        // An unknown user is checked against this, so a wrong name takes as long as a wrong password.
        this.decoy = users.isEmpty()
                ? null
                : PasswordHash.parse(PasswordHash.create("decoy".toCharArray(), PasswordHash.DEFAULT_ITERATIONS));
    }

    /** The users of the settings (already validated by the settings loader). */
    public static Authenticator of(AuthSettings settings) {
        Map<String, User> users = new HashMap<>();
        settings.users()
                .forEach((name, u) ->
                        users.put(name, new User(Access.parse(u.access()), PasswordHash.parse(u.passwordHash()))));
        return new Authenticator(Map.copyOf(users), settings.failureDelayMs());
    }

    /** Whether callers must authenticate; if not, every caller is {@link Principal#UNRESTRICTED}. */
    public boolean required() {
        return !users.isEmpty();
    }

    /** Failed attempts since the start. */
    public long failures() {
        return failures.get();
    }

    /** The principal these credentials proved before, or null (then call {@link #authenticate}). */
    public Principal remembered(String user, byte[] password) {
        return remembered.get(fingerprint(user, password));
    }

    /**
     * Checks user and password: completes with the principal, or empty when either is wrong (after
     * the failure delay). Completes on the caller's thread only for credentials remembered.
     */
    public CompletableFuture<Optional<Principal>> authenticate(String user, byte[] password) {
        if (!required()) {
            return CompletableFuture.completedFuture(Optional.of(Principal.UNRESTRICTED));
        }
        String fingerprint = fingerprint(user, password);
        Principal known = remembered.get(fingerprint);
        if (known != null) {
            return CompletableFuture.completedFuture(Optional.of(known));
        }
        CompletableFuture<Optional<Principal>> answer = new CompletableFuture<>();
        if (pending.incrementAndGet() > MAX_PENDING) {
            pending.decrementAndGet();
            fail(answer);
            return answer;
        }
        worker.execute(() -> {
            pending.decrementAndGet();
            // Calls that came at once with the same new credentials (a client opening many
            // connections, 256 pipelined gRPC calls) all missed 'remembered' above and queued here:
            // the first one's match answers the rest, with no hash each.
            Principal matched = remembered.get(fingerprint);
            if (matched != null) {
                answer.complete(Optional.of(matched));
                return;
            }
            User u = users.get(user);
            boolean match;
            if (u != null) {
                match = u.hash().matches(password);
            } else {
                decoy.matches(password); // the same cost as a known name: the answer's time tells nothing
                match = false;
            }
            if (match) {
                Principal p = new Principal(user, u.access());
                if (remembered.size() >= MAX_REMEMBERED) {
                    remembered.clear();
                }
                remembered.put(fingerprint, p);
                answer.complete(Optional.of(p));
            } else {
                fail(answer);
            }
        });
        return answer;
    }

    private void fail(CompletableFuture<Optional<Principal>> answer) {
        failures.incrementAndGet();
        worker.schedule(() -> answer.complete(Optional.empty()), failureDelayMs, TimeUnit.MILLISECONDS);
    }

    private static String fingerprint(String user, byte[] password) {
        try {
            MessageDigest sha = MessageDigest.getInstance("SHA-256");
            sha.update(user.getBytes(StandardCharsets.UTF_8));
            sha.update((byte) 0);
            sha.update(password);
            return HexFormat.of().formatHex(sha.digest());
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    @Override
    public void close() {
        if (worker != null) {
            worker.shutdownNow();
        }
    }
}
