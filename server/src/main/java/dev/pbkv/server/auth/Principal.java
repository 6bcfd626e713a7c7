package dev.pbkv.server.auth;

/**
 * Who a call comes from, as a door established it.
 *
 * @param user   the user name ("default" when authentication is off)
 * @param access what that user may do
 */
public record Principal(String user, Access access) {
    /** Every caller when no users are configured: may do everything, as before authentication existed. */
    public static final Principal UNRESTRICTED = new Principal("default", Access.ADMIN);

    public boolean may(Access needed) {
        return access.includes(needed);
    }
}
