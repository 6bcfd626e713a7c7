package dev.pbkv.client;

import dev.pbkv.proto.WriteTag;
import java.security.SecureRandom;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The at-most-once identity of this client's writes: one random non-zero client id per client
 * instance, and a sequence number that grows by one for every new write. A retry of a write
 * reuses the tag it was first given (the callers build the request once, before retrying).
 */
final class WriteTags {

    private final long clientId;
    // Guards nothing else: the last sequence handed out; every new write takes the next one.
    private final AtomicLong sequence = new AtomicLong();

    WriteTags() {
        this(newClientId());
    }

    WriteTags(long clientId) {
        if (clientId == 0) {
            throw new IllegalArgumentException("client id 0 means 'no tag'");
        }
        this.clientId = clientId;
    }

    private static long newClientId() {
        SecureRandom random = new SecureRandom();
        long id;
        do {
            id = random.nextLong();
        } while (id == 0);
        return id;
    }

    long clientId() {
        return clientId;
    }

    /** The tag of a new write. */
    WriteTag next() {
        return WriteTag.newBuilder()
                .setClientId(clientId)
                .setSequence(sequence.incrementAndGet())
                .build();
    }
}
