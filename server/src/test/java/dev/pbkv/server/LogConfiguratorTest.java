package dev.pbkv.server;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.encoder.PatternLayoutEncoder;
import ch.qos.logback.classic.spi.Configurator.ExecutionStatus;
import ch.qos.logback.core.ConsoleAppender;
import org.junit.jupiter.api.Test;
import org.slf4j.Logger;

class LogConfiguratorTest {
    @Test
    void writesOneLinePerEventToStdoutAtInfoWithTheChattyLibrariesAtWarn() {
        LoggerContext context = new LoggerContext();
        ExecutionStatus status = new LogConfigurator(name -> false).configure(context);

        assertThat(status).isEqualTo(ExecutionStatus.DO_NOT_INVOKE_NEXT_IF_ANY);
        ch.qos.logback.classic.Logger root = context.getLogger(Logger.ROOT_LOGGER_NAME);
        if (System.getenv("PBKV_LOG_LEVEL") == null) {
            assertThat(root.getLevel()).isEqualTo(Level.INFO);
        }
        assertThat(root.getAppender("STDOUT")).isInstanceOf(ConsoleAppender.class);
        ConsoleAppender<?> stdout = (ConsoleAppender<?>) root.getAppender("STDOUT");
        assertThat(stdout.isStarted()).isTrue();
        assertThat(stdout.getTarget()).isEqualTo("System.out");
        assertThat(((PatternLayoutEncoder) stdout.getEncoder()).getPattern()).isEqualTo(LogConfigurator.PATTERN);
        for (String quiet : LogConfigurator.QUIET) {
            assertThat(context.getLogger(quiet).getLevel()).as(quiet).isEqualTo(Level.WARN);
        }
        assertThat(context.getLogger("dev.pbkv.server.Node").getEffectiveLevel())
                .isEqualTo(root.getLevel());
    }

    @Test
    void configuresTheNodeDespiteALogbackFileWhenAskedTo() {
        System.setProperty(LogConfigurator.FORCE_PROPERTY, LogConfigurator.FORCE_VALUE);
        try {
            LoggerContext context = new LoggerContext();
            ExecutionStatus status = new LogConfigurator(name -> true).configure(context);

            assertThat(status).isEqualTo(ExecutionStatus.DO_NOT_INVOKE_NEXT_IF_ANY);
            assertThat(context.getLogger(Logger.ROOT_LOGGER_NAME).getAppender("STDOUT"))
                    .isNotNull();
        } finally {
            System.clearProperty(LogConfigurator.FORCE_PROPERTY);
        }
    }

    @Test
    void stepsAsideForALogbackFileOnTheClassPath() {
        for (String file : new String[] {"logback.xml", "logback-test.xml"}) {
            LoggerContext context = new LoggerContext();
            ExecutionStatus status = new LogConfigurator(file::equals).configure(context);

            assertThat(status).as(file).isEqualTo(ExecutionStatus.INVOKE_NEXT_IF_ANY);
            assertThat(context.getLogger(Logger.ROOT_LOGGER_NAME)
                            .iteratorForAppenders()
                            .hasNext())
                    .as(file)
                    .isFalse();
            assertThat(context.getLogger("io.grpc").getLevel()).as(file).isNull();
        }
    }
}
