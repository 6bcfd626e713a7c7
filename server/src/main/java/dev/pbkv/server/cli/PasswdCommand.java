package dev.pbkv.server.cli;

import dev.pbkv.server.auth.PasswordHash;
import java.io.BufferedReader;
import java.io.Console;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * Prints the salted hash of a password for auth.users (bin/pbkv passwd). The password is read from
 * the terminal without echo (asked twice), or as the first line of standard input when that is
 * not a terminal; never from the command line, where ps would show it.
 */
@Command(
        name = "passwd",
        mixinStandardHelpOptions = true,
        description = {
            "Prints the password-hash of a password for auth.users in the settings (docs/security.md).",
            "Reads the password from the terminal (no echo), or the first line of standard input."
        })
public final class PasswdCommand implements Callable<Integer> {
    @Option(
            names = "--iterations",
            defaultValue = "" + PasswordHash.DEFAULT_ITERATIONS,
            description = "PBKDF2 iterations (default ${DEFAULT-VALUE}; more is slower to check and to guess).")
    int iterations;

    @Override
    public Integer call() throws IOException {
        if (iterations < 1000) {
            System.err.println("passwd: --iterations must be at least 1000");
            return 2;
        }
        char[] password;
        Console console = System.console();
        if (console != null) {
            password = console.readPassword("password: ");
            char[] again = console.readPassword("again: ");
            if (password == null || again == null || !Arrays.equals(password, again)) {
                System.err.println("passwd: the two passwords differ");
                return 1;
            }
            Arrays.fill(again, '\0');
        } else {
            String line = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8)).readLine();
            password = line == null ? null : line.toCharArray();
        }
        if (password == null || password.length == 0) {
            System.err.println("passwd: an empty password is not allowed");
            return 1;
        }
        System.out.println(PasswordHash.create(password, iterations));
        Arrays.fill(password, '\0');
        return 0;
    }
}
