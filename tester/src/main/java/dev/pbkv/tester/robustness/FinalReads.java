package dev.pbkv.tester.robustness;

import com.google.protobuf.ByteString;
import dev.pbkv.proto.AdminGrpc;
import dev.pbkv.proto.DumpRequest;
import dev.pbkv.tester.history.Answer;
import dev.pbkv.tester.history.History;
import dev.pbkv.tester.history.Op;
import dev.pbkv.tester.history.OpKind;
import dev.pbkv.tester.history.Outcome;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;

/**
 * The end of a run, once every fault is healed and the clients have stopped: a linearizable get of
 * every shared key (retried until a primary answers), then a dump of the primary, each added to
 * the history as reads so that the checker judges them with the rest; and the exact count of
 * acknowledged insert-once writes missing from the dump (lost) and of refused ones present in it
 * (a write answered as failed that took effect). Last, the two replicas' contents are compared.
 */
final class FinalReads {
    /** What the final reads found. */
    record Result(
            int keysRead,
            int onceKeys,
            int acknowledgedOnce,
            List<String> lost,
            List<String> failedButPresent,
            int replicaDifferences,
            String problem) {
        boolean clean() {
            return problem.isEmpty() && lost.isEmpty() && failedButPresent.isEmpty() && replicaDifferences == 0;
        }
    }

    private FinalReads() {}

    static Result run(Cluster cluster, NodeChannels nodes, History history, int keys, int clientId, RunLog log) {
        RecordingClient reader =
                new RecordingClient(clientId, nodes, history, new OpMix(keys), 2000, 50, 0, () -> true);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        String primary = null;
        for (int k = 0; k < keys; k++) {
            Op got;
            do {
                got = reader.invoke(OpKind.GET, "k" + k, null);
                if (got.outcome() != Outcome.OK) {
                    sleep(50);
                }
            } while (got.outcome() != Outcome.OK && System.nanoTime() < deadline);
            if (got.outcome() != Outcome.OK) {
                return new Result(
                        k, 0, 0, List.of(), List.of(), 0, "no node served a final read of k" + k + " in 60 s");
            }
            history.add(got);
            primary = got.node();
        }

        // Every insert-once key in the history, with what its insert was told.
        List<Op> all = history.ops();
        Map<String, Op> onceInserts = new HashMap<>();
        for (Op op : all) {
            if (OpMix.isOnceKey(op.key()) && op.kind() == OpKind.INSERT && op.client() != clientId) {
                onceInserts.put(op.key(), op);
            }
        }
        long call = System.nanoTime();
        Map<String, String> dump;
        try {
            dump = dump(nodes, primary);
        } catch (RuntimeException e) {
            return new Result(
                    keys,
                    onceInserts.size(),
                    0,
                    List.of(),
                    List.of(),
                    0,
                    "the final dump of " + primary + " failed: " + e);
        }
        long ret = System.nanoTime();
        List<String> lost = new ArrayList<>();
        List<String> failedSeen = new ArrayList<>();
        int acknowledged = 0;
        for (Op ins : onceInserts.values()) {
            String found = dump.get(ins.key());
            history.add(new Op(
                    history.nextId(),
                    clientId,
                    OpKind.GET,
                    ins.key(),
                    found,
                    call,
                    ret,
                    Outcome.OK,
                    found == null ? Answer.ABSENT : Answer.VALUE,
                    null,
                    primary,
                    "final dump"));
            boolean present = ins.value().equals(found);
            if (ins.isAcknowledgedWrite()) {
                acknowledged++;
                if (!present) {
                    lost.add(ins.describe() + " but the final dump has " + (found == null ? "no such key" : found));
                }
            } else if (ins.outcome() == Outcome.FAIL && present) {
                failedSeen.add(ins.describe() + " yet the final dump has it");
            }
        }
        int diff = replicaDifferences(cluster, log);
        return new Result(keys, onceInserts.size(), acknowledged, lost, failedSeen, diff, "");
    }

    private static Map<String, String> dump(NodeChannels nodes, String node) {
        Map<String, String> out = new HashMap<>();
        AdminGrpc.newBlockingStub(nodes.get(node))
                .withDeadlineAfter(60, TimeUnit.SECONDS)
                .dump(DumpRequest.newBuilder().setAllowStale(false).build())
                .forEachRemaining(page -> page.getEntriesList()
                        .forEach(e ->
                                out.put(e.getKey().toStringUtf8(), e.getValue().toStringUtf8())));
        return out;
    }

    /** Keys whose value differs between the replicas, after giving the backup 10 s to catch up. */
    private static int replicaDifferences(Cluster cluster, RunLog log) {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        int diff;
        do {
            diff = differences(cluster);
            if (diff == 0) {
                return 0;
            }
            sleep(200);
        } while (System.nanoTime() < deadline);
        log.line("the replicas still differ in %d keys after 10 s", diff);
        return diff;
    }

    private static int differences(Cluster cluster) {
        List<Cluster.Node> n = cluster.nodes();
        Optional<TreeMap<ByteString, ByteString>> a = dumpOf(n.get(0));
        Optional<TreeMap<ByteString, ByteString>> b = dumpOf(n.get(1));
        if (a.isEmpty() || b.isEmpty()) {
            return Integer.MAX_VALUE;
        }
        TreeSet<ByteString> keys = new TreeSet<>(ByteString.unsignedLexicographicalComparator());
        keys.addAll(a.get().keySet());
        keys.addAll(b.get().keySet());
        int d = 0;
        for (ByteString k : keys) {
            if (!java.util.Objects.equals(a.get().get(k), b.get().get(k))) {
                d++;
            }
        }
        return d;
    }

    private static Optional<TreeMap<ByteString, ByteString>> dumpOf(Cluster.Node n) {
        try {
            return Optional.of(n.process.dump());
        } catch (RuntimeException e) {
            return Optional.empty();
        }
    }

    static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    static Duration since(long nanos) {
        return Duration.ofNanos(System.nanoTime() - nanos);
    }
}
