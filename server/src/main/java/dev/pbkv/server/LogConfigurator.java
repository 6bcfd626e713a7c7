package dev.pbkv.server;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.encoder.PatternLayoutEncoder;
import ch.qos.logback.classic.spi.Configurator;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.ConsoleAppender;
import ch.qos.logback.core.spi.ContextAwareBase;
import java.util.List;
import java.util.function.Predicate;
import org.slf4j.Logger;

/**
 * The node's (and the embedded coordinator's) logging: one line per event on stdout, which
 * bin/start_server sends to {@code <data-dir>/node.log}; root level from {@code PBKV_LOG_LEVEL}
 * (INFO by default). Set in code, found by Logback through its {@link Configurator} service: parsing
 * a logback.xml took about 0.09 s of every start (docs/performance.md, "Start and stop").
 *
 * <p>A {@code logback.configurationFile} system property, or a {@code logback-test.xml} or
 * {@code logback.xml} on the class path (the unit tests', or the tester's when the server is on
 * its class path), still wins: this configurator then steps aside, unless
 * {@code -Dpbkv.logging=node} asks for the node's logging whatever the class path holds (the test
 * kit's node processes, which run on a test class path).
 */
public final class LogConfigurator extends ContextAwareBase implements Configurator {
    static final String PATTERN = "%d{yyyy-MM-dd'T'HH:mm:ss.SSSXXX} %-5level [%thread] %logger{0} - %msg%n";

    /** {@code -Dpbkv.logging=node}: the node's logging even with a Logback file on the class path. */
    public static final String FORCE_PROPERTY = "pbkv.logging";

    public static final String FORCE_VALUE = "node";

    /** Libraries that log every connection attempt at INFO: pbkv logs what it decides from them. */
    static final List<String> QUIET = List.of(
            "io.grpc",
            "io.netty",
            "org.apache.zookeeper.ClientCnxn",
            "org.apache.zookeeper.ClientCnxnSocketNIO",
            "org.apache.zookeeper.ZooKeeper",
            "org.apache.zookeeper.common.X509Util",
            "org.apache.curator");

    /** True for a resource name present on the class path. */
    private final Predicate<String> onClassPath;

    /** Logback's: looks on this class's class path. */
    public LogConfigurator() {
        this(name -> LogConfigurator.class.getClassLoader().getResource(name) != null);
    }

    LogConfigurator(Predicate<String> onClassPath) {
        this.onClassPath = onClassPath;
    }

    @Override
    public ExecutionStatus configure(LoggerContext context) {
        boolean asked = FORCE_VALUE.equals(System.getProperty(FORCE_PROPERTY));
        if (System.getProperty("logback.configurationFile") != null
                || (!asked && (onClassPath.test("logback-test.xml") || onClassPath.test("logback.xml")))) {
            return ExecutionStatus.INVOKE_NEXT_IF_ANY;
        }
        PatternLayoutEncoder encoder = new PatternLayoutEncoder();
        encoder.setContext(context);
        encoder.setPattern(PATTERN);
        encoder.start();
        ConsoleAppender<ILoggingEvent> stdout = new ConsoleAppender<>();
        stdout.setContext(context);
        stdout.setName("STDOUT");
        stdout.setEncoder(encoder);
        stdout.start();
        for (String name : QUIET) {
            context.getLogger(name).setLevel(Level.WARN);
        }
        ch.qos.logback.classic.Logger root = context.getLogger(Logger.ROOT_LOGGER_NAME);
        root.setLevel(Level.toLevel(rootLevel(), Level.INFO));
        root.addAppender(stdout);
        return ExecutionStatus.DO_NOT_INVOKE_NEXT_IF_ANY;
    }

    private static String rootLevel() {
        String level = System.getProperty("PBKV_LOG_LEVEL");
        return level != null ? level : System.getenv("PBKV_LOG_LEVEL");
    }
}
