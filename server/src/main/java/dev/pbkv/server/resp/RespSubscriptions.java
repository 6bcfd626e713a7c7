package dev.pbkv.server.resp;

import dev.pbkv.server.command.Commands;
import dev.pbkv.server.command.Reply;
import dev.pbkv.server.command.watch.Change;
import dev.pbkv.server.command.watch.ChangeKind;
import dev.pbkv.server.command.watch.Watch;
import dev.pbkv.server.command.watch.WatchBatch;
import io.netty.buffer.ByteBuf;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Supplier;

/**
 * One RESP connection's pub/sub state: the keyspace notification channels and patterns it
 * subscribed to ({@code __keyspace@0__:<key>} with the event as message, {@code
 * __keyevent@0__:<event>} with the key as message), and the {@link Watch} that feeds them,
 * opened with the first subscription and cancelled with the last. Replies and messages use
 * Redis's RESP2 pub/sub framing.
 *
 * <p>Threads: the subscription sets belong to the event loop; the watch thread reads only
 * {@link #interest}, an immutable snapshot replaced on every change.
 */
final class RespSubscriptions {
    static final String KEYSPACE = "__keyspace@0__:";
    static final String KEYEVENT = "__keyevent@0__:";
    private static final byte[] KEYSPACE_BYTES = KEYSPACE.getBytes(StandardCharsets.US_ASCII);

    /** What the watch thread filters on: a snapshot of the subscriptions. */
    private record Interest(Set<String> channels, List<GlobPattern> patterns, boolean everyKey) {
        static final Interest NONE = new Interest(Set.of(), List.of(), false);

        boolean wantsKey(byte[] key) {
            if (everyKey) {
                return true;
            }
            byte[] channel = keyspaceChannel(key);
            if (channels.contains(latin1(channel))) {
                return true;
            }
            for (GlobPattern p : patterns) {
                if (p.matches(channel)) {
                    return true;
                }
            }
            return false;
        }
    }

    /** The connection's command layer as its user may use it (it changes at AUTH). */
    private final Supplier<Commands> commands;

    private final Runnable onNews;
    /** Channel names as ISO-8859-1 strings (one char per byte, so any bytes round-trip); event loop only. */
    private final Set<String> channels = new LinkedHashSet<>();
    /** Patterns by their text (ISO-8859-1), in subscription order; event loop only. */
    private final Map<String, GlobPattern> patterns = new LinkedHashMap<>();

    private volatile Interest interest = Interest.NONE;
    /** Open while anything is subscribed; event loop only. */
    private Watch watch;

    /**
     * @param onNews called on the watch thread when the watch has messages or ended: it must only
     *               schedule {@link #poll} on the event loop
     */
    RespSubscriptions(Supplier<Commands> commands, Runnable onNews) {
        this.commands = commands;
        this.onNews = onNews;
    }

    /** Whether the connection is in subscribed mode (only pub/sub commands, PING and QUIT). */
    boolean active() {
        return !channels.isEmpty() || !patterns.isEmpty();
    }

    static boolean allowedWhileSubscribed(RespCommand c) {
        return switch (c) {
            case SUBSCRIBE, PSUBSCRIBE, UNSUBSCRIBE, PUNSUBSCRIBE, PING, QUIT -> true;
            default -> false;
        };
    }

    static String notAllowedWhileSubscribed(RespCommand c) {
        return "ERR Can't execute '" + c.lowerName
                + "': only (P)SUBSCRIBE / (P)UNSUBSCRIBE / PING / QUIT are allowed in this context";
    }

    /** Runs SUBSCRIBE, PSUBSCRIBE, UNSUBSCRIBE or PUNSUBSCRIBE; answers as Redis does. */
    boolean handle(RespCommand command, byte[][] args, boolean stale, ByteBuf out) {
        boolean wasActive = active();
        if ((command == RespCommand.SUBSCRIBE || command == RespCommand.PSUBSCRIBE) && !wasActive) {
            Reply<Watch> opened = commands.get().watch(key -> interest.wantsKey(key), 0, stale, onNews);
            if (opened instanceof Reply.Failure<Watch> f) {
                RespWriter.error(out, RespErrors.toErrorLine(f, false));
                return false;
            }
            watch = ((Reply.Success<Watch>) opened).value();
        }
        switch (command) {
            case SUBSCRIBE -> {
                for (int i = 1; i < args.length; i++) {
                    channels.add(latin1(args[i]));
                    publishInterest();
                    confirm(out, "subscribe", args[i]);
                }
            }
            case PSUBSCRIBE -> {
                for (int i = 1; i < args.length; i++) {
                    patterns.putIfAbsent(latin1(args[i]), new GlobPattern(args[i]));
                    publishInterest();
                    confirm(out, "psubscribe", args[i]);
                }
            }
            case UNSUBSCRIBE -> unsubscribe(args, out, channels, "unsubscribe");
            case PUNSUBSCRIBE -> unsubscribe(args, out, patterns.keySet(), "punsubscribe");
            default -> throw new IllegalArgumentException("not a pub/sub command: " + command);
        }
        if (!active()) {
            close();
        }
        return true;
    }

    private void unsubscribe(byte[][] args, ByteBuf out, Set<String> from, String kind) {
        List<String> names = new ArrayList<>();
        if (args.length == 1) {
            names.addAll(from);
        } else {
            for (int i = 1; i < args.length; i++) {
                names.add(latin1(args[i]));
            }
        }
        if (names.isEmpty()) {
            RespWriter.arrayHeader(out, 3);
            RespWriter.bulk(out, kind);
            RespWriter.nil(out);
            RespWriter.integer(out, count());
            return;
        }
        for (String name : names) {
            from.remove(name);
            publishInterest();
            confirm(out, kind, name.getBytes(StandardCharsets.ISO_8859_1));
        }
    }

    private void confirm(ByteBuf out, String kind, byte[] name) {
        RespWriter.arrayHeader(out, 3);
        RespWriter.bulk(out, kind);
        RespWriter.bulk(out, name);
        RespWriter.integer(out, count());
    }

    private int count() {
        return channels.size() + patterns.size();
    }

    private void publishInterest() {
        boolean everyKey = false;
        for (String c : channels) {
            everyKey |= c.startsWith(KEYEVENT);
        }
        for (GlobPattern p : patterns.values()) {
            for (ChangeKind k : ChangeKind.values()) {
                everyKey |= p.matches(keyeventChannel(k));
            }
        }
        interest = new Interest(Set.copyOf(channels), List.copyOf(patterns.values()), everyKey);
    }

    /** PING in subscribed mode answers ["pong", message], as Redis does in RESP2. */
    static void ping(byte[][] args, ByteBuf out) {
        RespWriter.arrayHeader(out, 2);
        RespWriter.bulk(out, "pong");
        RespWriter.bulk(out, args.length > 1 ? args[1] : new byte[0]);
    }

    /**
     * Writes the messages of up to max changes the watch has ready; returns how many changes, 0
     * when none is ready. Event loop only.
     */
    int poll(ByteBuf out, int max) {
        if (watch == null) {
            return 0;
        }
        WatchBatch batch = watch.poll(max);
        if (batch == null) {
            return 0;
        }
        for (Change c : batch.changes()) {
            write(out, c);
        }
        return Math.max(1, batch.changes().size());
    }

    /** Why the watch ended (the node stopped serving it, or this subscriber fell behind), else null. */
    Reply.Failure<Void> endedWith() {
        return watch == null ? null : watch.endedWith();
    }

    private void write(ByteBuf out, Change c) {
        byte[] event = c.kind().eventName().getBytes(StandardCharsets.US_ASCII);
        // As Redis: the keyspace notification, then the keyevent one; each to channel subscribers, then patterns.
        deliver(out, keyspaceChannel(c.key()), event);
        deliver(out, keyeventChannel(c.kind()), c.key());
    }

    private void deliver(ByteBuf out, byte[] channel, byte[] message) {
        if (channels.contains(latin1(channel))) {
            RespWriter.arrayHeader(out, 3);
            RespWriter.bulk(out, "message");
            RespWriter.bulk(out, channel);
            RespWriter.bulk(out, message);
        }
        for (Map.Entry<String, GlobPattern> p : patterns.entrySet()) {
            if (p.getValue().matches(channel)) {
                RespWriter.arrayHeader(out, 4);
                RespWriter.bulk(out, "pmessage");
                RespWriter.bulk(out, p.getKey().getBytes(StandardCharsets.ISO_8859_1));
                RespWriter.bulk(out, channel);
                RespWriter.bulk(out, message);
            }
        }
    }

    /** Cancels the watch (last unsubscribe, or the connection closed). */
    void close() {
        if (watch != null) {
            watch.cancel();
            watch = null;
        }
        channels.clear();
        patterns.clear();
        interest = Interest.NONE;
    }

    private static byte[] keyspaceChannel(byte[] key) {
        byte[] channel = new byte[KEYSPACE_BYTES.length + key.length];
        System.arraycopy(KEYSPACE_BYTES, 0, channel, 0, KEYSPACE_BYTES.length);
        System.arraycopy(key, 0, channel, KEYSPACE_BYTES.length, key.length);
        return channel;
    }

    private static byte[] keyeventChannel(ChangeKind kind) {
        return (KEYEVENT + kind.eventName()).getBytes(StandardCharsets.US_ASCII);
    }

    private static String latin1(byte[] b) {
        return new String(b, StandardCharsets.ISO_8859_1);
    }
}
