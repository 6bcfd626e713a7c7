package dev.pbkv.tester.history;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.BufferedWriter;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Every operation of a robustness run, recorded by the clients as each completes (a client has
 * one operation in flight, so recording at completion loses nothing but the ops still running at
 * the end, which the clients finish before the history is read). Thread-safe.
 */
public final class History {
    private static final ObjectMapper JSON = new ObjectMapper().disable(SerializationFeature.FAIL_ON_EMPTY_BEANS);

    private final ConcurrentLinkedQueue<Op> ops = new ConcurrentLinkedQueue<>();
    /** The next op id; ids only grow. */
    private final AtomicLong nextId = new AtomicLong();

    public long nextId() {
        return nextId.getAndIncrement();
    }

    public void add(Op op) {
        ops.add(op);
    }

    /** Every op recorded so far, in invocation order. */
    public List<Op> ops() {
        List<Op> all = new ArrayList<>(ops);
        all.sort(Comparator.comparingLong(Op::callNanos).thenComparingLong(Op::id));
        return all;
    }

    public static History of(List<Op> ops) {
        History h = new History();
        ops.forEach(h::add);
        h.nextId.set(ops.stream().mapToLong(Op::id).max().orElse(-1) + 1);
        return h;
    }

    /** One JSON object per line, in invocation order (for reading, or checking again later). */
    public void writeJsonLines(Path file) throws IOException {
        try (BufferedWriter w = Files.newBufferedWriter(file)) {
            for (Op op : ops()) {
                w.write(JSON.writeValueAsString(op));
                w.newLine();
            }
        }
    }

    public static History readJsonLines(Path file) throws IOException {
        List<Op> ops = new ArrayList<>();
        for (String line : Files.readAllLines(file)) {
            if (!line.isBlank()) {
                ops.add(JSON.readValue(line, Op.class));
            }
        }
        return of(ops);
    }
}
