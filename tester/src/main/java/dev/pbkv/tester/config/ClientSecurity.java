package dev.pbkv.tester.config;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * How the tester's clients reach a secured pair (docs/security.md): the credentials they send,
 * if any, and TLS, if on. Read from the test config's optional {@code auth} and {@code tls}
 * blocks:
 *
 * <pre>
 * "auth": {"user": "app", "password_file": "conf/app.password"}     (or "password_env": "APP_PW";
 *                                                                     neither: $PBKV_PASSWORD)
 * "tls":  {"ca_file": "certs/ca.pem", "cert_file": "certs/client.pem", "key_file": "certs/client-key.pem"}
 * </pre>
 *
 * @param credentials null: no credentials are sent
 * @param tls null: plaintext
 */
public record ClientSecurity(Credentials credentials, TlsFiles tls) {

    /** Plaintext, no credentials: a node without users or TLS (the default). */
    public static final ClientSecurity NONE = new ClientSecurity(null, null);

    /** The environment variable the password comes from when the auth block names no source. */
    public static final String PASSWORD_ENV = "PBKV_PASSWORD";

    private static final Set<String> AUTH_KEYS = Set.of("user", "password_file", "password_env");
    private static final Set<String> TLS_KEYS = Set.of("ca_file", "cert_file", "key_file");

    public boolean usesTls() {
        return tls != null;
    }

    /**
     * The {@code auth} and {@code tls} blocks of a test config's top object (either may be absent);
     * relative files are taken from {@code root}, environment variables from {@code env}. Every
     * error names its key and never shows a password.
     */
    static ClientSecurity parse(String source, JsonNode top, Path root, Map<String, String> env)
            throws ConfigException {
        Credentials credentials = top.has("auth") ? credentials(source, top.get("auth"), root, env) : null;
        TlsFiles tls = top.has("tls") ? tls(source, top.get("tls"), root) : null;
        return new ClientSecurity(credentials, tls);
    }

    private static Credentials credentials(String source, JsonNode auth, Path root, Map<String, String> env)
            throws ConfigException {
        if (!auth.isObject()) {
            throw new ConfigException(source + ": auth: expected an object such as"
                    + " {\"user\": \"app\", \"password_file\": \"conf/app.password\"}");
        }
        if (auth.has("password")) {
            // Refused whatever it holds, and the value is not repeated: a test config is not a secret.
            throw new ConfigException(source + ": auth.password: a password is never written in the test config;"
                    + " name a file (auth.password_file) or an environment variable (auth.password_env),"
                    + " or set $" + PASSWORD_ENV);
        }
        unknown(source, "auth.", auth, AUTH_KEYS);
        String user = text(source, auth, "auth.", "user");
        if (user == null || user.isEmpty() || user.indexOf(':') >= 0) {
            throw new ConfigException(source + ": auth.user: expected a non-empty user name without ':'");
        }
        String file = text(source, auth, "auth.", "password_file");
        String var = text(source, auth, "auth.", "password_env");
        if (file != null && var != null) {
            throw new ConfigException(
                    source + ": auth.password_file and auth.password_env: expected one of them, not both");
        }
        if (file != null) {
            Path p = root.resolve(file);
            String first;
            try {
                List<String> lines = Files.readAllLines(p, StandardCharsets.UTF_8);
                first = lines.isEmpty() ? "" : lines.get(0);
            } catch (IOException e) {
                throw new ConfigException(source + ": auth.password_file: cannot read " + p + " ("
                        + e.getClass().getSimpleName() + ")");
            }
            if (first.isEmpty()) {
                throw new ConfigException(source + ": auth.password_file: the first line of " + p + " is empty");
            }
            return new Credentials(user, first, "auth.password_file " + file);
        }
        String name = var != null ? var : PASSWORD_ENV;
        String key = var != null ? "auth.password_env" : "auth";
        if (name.isEmpty()) {
            throw new ConfigException(source + ": auth.password_env: expected the name of an environment variable");
        }
        String password = env.get(name);
        if (password == null || password.isEmpty()) {
            throw new ConfigException(source + ": " + key + ": user " + user + " needs a password, and $" + name
                    + " is not set" + (var != null ? "" : " (or name auth.password_file or auth.password_env)"));
        }
        return new Credentials(user, password, "$" + name);
    }

    private static TlsFiles tls(String source, JsonNode tls, Path root) throws ConfigException {
        if (!tls.isObject()) {
            throw new ConfigException(source + ": tls: expected an object such as {\"ca_file\": \"certs/ca.pem\"}");
        }
        unknown(source, "tls.", tls, TLS_KEYS);
        Path ca = file(source, tls, root, "ca_file");
        Path cert = file(source, tls, root, "cert_file");
        Path key = file(source, tls, root, "key_file");
        if ((cert == null) != (key == null)) {
            throw new ConfigException(source + ": tls.cert_file and tls.key_file: a client certificate needs both"
                    + " (for a node with tls.client-auth), or leave out both");
        }
        return new TlsFiles(ca, cert, key);
    }

    /** A file that must exist, or null when the key is absent. */
    private static Path file(String source, JsonNode n, Path root, String key) throws ConfigException {
        String name = text(source, n, "tls.", key);
        if (name == null) {
            return null;
        }
        if (name.isEmpty()) {
            throw new ConfigException(source + ": tls." + key + ": expected a file name");
        }
        Path p = root.resolve(name);
        if (!Files.isReadable(p)) {
            throw new ConfigException(source + ": tls." + key + ": cannot read " + p);
        }
        return p;
    }

    private static String text(String source, JsonNode n, String prefix, String key) throws ConfigException {
        JsonNode v = n.get(key);
        if (v == null || v.isNull()) {
            return null;
        }
        if (!v.isTextual()) {
            throw new ConfigException(source + ": " + prefix + key + ": expected a string");
        }
        return v.textValue();
    }

    private static void unknown(String source, String prefix, JsonNode n, Set<String> known) throws ConfigException {
        Iterator<String> names = n.fieldNames();
        while (names.hasNext()) {
            String k = names.next();
            if (!known.contains(k)) {
                throw new ConfigException(source + ": " + prefix + k + ": unknown key (known: "
                        + String.join(", ", new TreeSet<>(known)) + ")");
            }
        }
    }
}
