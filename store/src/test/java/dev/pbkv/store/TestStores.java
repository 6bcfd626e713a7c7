package dev.pbkv.store;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import dev.pbkv.store.map.MapConfig;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.slf4j.LoggerFactory;

/** Store configurations, contents and a sequential model for the persistence tests. */
final class TestStores {
    private TestStores() {}

    static StoreConfig config(Path dir, FsyncPolicy fsync) {
        return new StoreConfig(dir, new MapConfig(8, 8L << 20), fsync, 64L << 20, 64L << 20);
    }

    static StoreConfig config(Path dir, FsyncPolicy fsync, long snapshotLogBytes, long retainedLogBytes) {
        return new StoreConfig(dir, new MapConfig(8, 8L << 20), fsync, snapshotLogBytes, retainedLogBytes);
    }

    static byte[] b(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    static String s(byte[] b) {
        return new String(b, StandardCharsets.UTF_8);
    }

    /** Every entry of the store's map, key to value, as strings. */
    static Map<String, String> contents(Store store) {
        Map<String, String> out = new TreeMap<>();
        for (int i = 0; i < store.bucketCount(); i++) {
            store.forEachInBucket(i, (k, v, o) -> out.put(s(k), s(v)));
        }
        return out;
    }

    /** Applies a put (value != null) or delete to the store and to the model. */
    static void write(Store store, Map<String, String> model, String key, String value) {
        if (value == null) {
            store.apply(Mutation.delete(b(key)));
            model.remove(key);
        } else {
            store.apply(Mutation.of(Op.PUT, b(key), b(value)));
            model.put(key, value);
        }
    }

    static List<Path> segmentFiles(Path dir) throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.filter(p -> p.getFileName().toString().endsWith(".seg"))
                    .sorted()
                    .collect(Collectors.toList());
        }
    }

    static List<Path> snapshotFiles(Path dir) throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.filter(p -> p.getFileName().toString().matches("snapshot-\\d+\\.snap"))
                    .sorted()
                    .collect(Collectors.toList());
        }
    }

    static void copyDir(Path from, Path to) throws IOException {
        Files.createDirectories(to);
        try (Stream<Path> s = Files.list(from)) {
            for (Path p : (Iterable<Path>) s::iterator) {
                Files.copy(p, to.resolve(p.getFileName()));
            }
        }
    }

    static void flipBit(Path file, long position, int bit) throws IOException {
        byte[] all = Files.readAllBytes(file);
        all[(int) position] ^= (byte) (1 << bit);
        Files.write(file, all);
    }

    /** Captures the WARN lines of a logger while open. */
    static final class Warnings implements AutoCloseable {
        private final Logger logger;
        private final ListAppender<ILoggingEvent> appender = new ListAppender<>();

        Warnings(Class<?> source) {
            logger = (Logger) LoggerFactory.getLogger(source);
            appender.start();
            logger.addAppender(appender);
        }

        List<String> lines() {
            return appender.list.stream()
                    .filter(e -> e.getLevel() == Level.WARN)
                    .map(ILoggingEvent::getFormattedMessage)
                    .collect(Collectors.toList());
        }

        @Override
        public void close() {
            logger.detachAppender(appender);
        }
    }
}
