package dev.pbkv.tester.config;

/**
 * A user and password the drivers send with every call (HTTP Basic; gRPC metadata
 * {@code authorization}). The password comes from a file or the environment, never from the test
 * config itself, and {@link #toString()} never shows it.
 *
 * @param from where the password was read, for messages: "auth.password_file conf/app.password"
 */
public record Credentials(String user, String password, String from) {

    public Credentials {
        if (user == null || user.isEmpty() || user.indexOf(':') >= 0) {
            throw new IllegalArgumentException("a user name must be non-empty and hold no ':'");
        }
        if (password == null) {
            throw new IllegalArgumentException("no password for user " + user);
        }
    }

    /** The value of an {@code Authorization} header or metadata entry: {@code Basic base64(user:password)}. */
    public String basicAuthorization() {
        return "Basic "
                + java.util.Base64.getEncoder()
                        .encodeToString((user + ":" + password).getBytes(java.nio.charset.StandardCharsets.UTF_8));
    }

    @Override
    public String toString() {
        return "Credentials[user=" + user + ", password=(hidden, from " + from + ")]";
    }
}
