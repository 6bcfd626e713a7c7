package dev.pbkv.tester;

import dev.pbkv.tester.config.ConfigException;
import dev.pbkv.tester.config.Contract;
import dev.pbkv.tester.config.DriverKind;
import dev.pbkv.tester.config.TestConfig;
import dev.pbkv.tester.engine.CaseFiles;
import dev.pbkv.tester.engine.ProcessRunner;
import dev.pbkv.tester.engine.ShellNodeControl;
import dev.pbkv.tester.engine.TestRun;
import dev.pbkv.tester.robustness.RobustnessCommand;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code bin/test}: replays .test files against the nodes of a test config (conf/pbkv-test.conf). */
@Command(
        name = "bin/test",
        mixinStandardHelpOptions = true,
        version = "pbkv tester 0.1.0",
        description = {
            "Replays .test files (default: every file in test-cases/, in name order)",
            "against the servers of conf/pbkv-test.conf (addresses from conf/settings.conf",
            "unless it names others); prints one line per case, then",
            "'N passed, N failed, N skipped'. Grammar: test-cases/README.md.",
            "With --robustness SCENARIO: a robustness run (faults, a recorded history,",
            "a linearizability check) that ends with PASS or FAIL.",
            "Exit code: 0 no case failed (skipped ones included), 1 a case failed, 2 usage or config error."
        })
public final class Main implements Callable<Integer> {

    @Parameters(paramLabel = "FILE", description = ".test files or directories of them")
    List<Path> files = List.of();

    @Option(
            names = "--config",
            paramLabel = "FILE",
            description = "the test config (default: <root>/" + TestConfig.DEFAULT_FILE + ")")
    Path config;

    @Option(
            names = "--root",
            paramLabel = "DIR",
            description = "the project directory: default config and cases,"
                    + " and where node commands run (default: the current directory)")
    Path root = Path.of("").toAbsolutePath();

    @Option(names = "--driver", paramLabel = "grpc|http", description = "overrides the config's driver")
    String driver;

    @Option(
            names = "--contract",
            paramLabel = "course|pbkv|pbkv-strict",
            description = "what the servers promise (overrides the config's contract; default pbkv): course runs"
                    + " only the course contract's expectations, over HTTP, and counts the rest as skipped")
    String contract;

    @Option(names = "--err-msg", negatable = true, description = "print every failed step (overrides with_err_msg)")
    Boolean errMsg;

    @Option(
            names = "--logs",
            paramLabel = "DIR",
            description = "where the output of node commands is kept" + " (default: a new temporary directory)")
    Path logs;

    @CommandLine.ArgGroup(exclusive = false, heading = "Robustness (docs/tester.md)%n")
    RobustnessCommand robustness;

    @Override
    public Integer call() throws IOException {
        if (robustness != null && robustness.checkHistory != null) {
            return robustness.check(System.out);
        }
        if (robustness != null && robustness.scenario != null) {
            return robustness.run(root, System.out, System.err);
        }
        Path configFile = config != null ? config : root.resolve(TestConfig.DEFAULT_FILE);
        TestConfig cfg;
        try {
            cfg = TestConfig.load(configFile, root);
        } catch (ConfigException e) {
            System.err.println("bin/test: " + e.getMessage());
            return 2;
        }
        if (driver != null) {
            try {
                cfg = cfg.withDriver(DriverKind.valueOf(driver.toUpperCase(java.util.Locale.ROOT)));
            } catch (IllegalArgumentException e) {
                System.err.println("bin/test: --driver: expected grpc or http, found " + driver);
                return 2;
            }
        }
        if (contract != null) {
            Contract c = Contract.byWord(contract);
            if (c == null) {
                System.err.println("bin/test: --contract: expected course, pbkv or pbkv-strict, found " + contract);
                return 2;
            }
            cfg = cfg.withContract(c);
            if (c == Contract.COURSE && driver == null) {
                cfg = cfg.withDriver(DriverKind.HTTP); // the course contract is HTTP
            }
        }
        if (cfg.contract() == Contract.COURSE && cfg.driver() == DriverKind.GRPC) {
            System.err.println("bin/test: the course contract is HTTP (gRPC is a pbkv extra): use --driver http");
            return 2;
        }
        if (errMsg != null) {
            cfg = cfg.withErrMsg(errMsg);
        }
        List<Path> cases = CaseFiles.expand(files.isEmpty() ? List.of(root.resolve("test-cases")) : files);
        for (Path p : cases) {
            if (!Files.isRegularFile(p)) {
                System.err.println("bin/test: " + p + ": no such file");
                return 2;
            }
        }
        if (cases.isEmpty()) {
            System.err.println("bin/test: no .test files to run");
            return 2;
        }
        Path logDir = logs != null ? logs : Files.createTempDirectory("pbkv-test-logs");
        ProcessRunner runner = new ProcessRunner(cfg.workdir(), logDir);
        TestRun run = new TestRun(
                cfg,
                new ShellNodeControl(runner, cfg.timeouts().command()),
                runner,
                System.out,
                System.console() != null);
        return run.run(cases).failed() == 0 ? 0 : 1;
    }

    public static void main(String[] args) {
        CommandLine cl = new CommandLine(new Main());
        cl.setExitCodeExceptionMapper(e -> 2);
        cl.setExecutionExceptionHandler((e, line, parsed) -> {
            line.getErr().println("bin/test: " + e);
            return 2;
        });
        int code = cl.execute(args);
        System.exit(code == CommandLine.ExitCode.USAGE ? 2 : code);
    }
}
