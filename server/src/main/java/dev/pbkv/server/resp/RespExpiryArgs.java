package dev.pbkv.server.resp;

import dev.pbkv.server.command.ExpireCondition;
import dev.pbkv.server.command.Expiry;
import java.nio.charset.StandardCharsets;
import java.util.Locale;

/**
 * Reads the options of SET (EX, PX, EXAT, PXAT, KEEPTTL with NX, XX and GET) and of EXPIRE,
 * PEXPIRE, EXPIREAT and PEXPIREAT as Redis 7 does, with Redis's error lines, so redis-cli and the
 * client libraries see the same answers (docs/resp.md, docs/expiry.md). Pure: no clock; a
 * relative time becomes {@link Expiry#in}, the command layer adds the primary's clock.
 */
final class RespExpiryArgs {
    static final String NOT_AN_INTEGER = "ERR value is not an integer or out of range";

    private RespExpiryArgs() {}

    /** SET's options (get: answer the old value): error is the error line to answer, or null when they parse. */
    record SetOptions(boolean nx, boolean xx, boolean get, Expiry expiry, String error) {
        static SetOptions failed(String error) {
            return new SetOptions(false, false, false, Expiry.NONE, error);
        }
    }

    /** The options of {@code SET key value [options]} (args[0] is SET). */
    static SetOptions set(byte[][] args) {
        boolean nx = false;
        boolean xx = false;
        boolean keep = false;
        boolean get = false;
        String unit = null;
        byte[] amount = null;
        for (int i = 3; i < args.length; i++) {
            byte[] option = args[i];
            boolean hasNext = i + 1 < args.length;
            if (RespCommand.is(option, "NX") && !xx) {
                nx = true;
            } else if (RespCommand.is(option, "XX") && !nx) {
                xx = true;
            } else if (RespCommand.is(option, "KEEPTTL") && unit == null) {
                keep = true;
            } else if (isTimeOption(option) && !keep && unit == null && hasNext) {
                unit = ascii(option).toUpperCase(Locale.ROOT);
                amount = args[++i];
            } else if (RespCommand.is(option, "GET")) {
                get = true; // with NX too, as Redis 7 allows
            } else {
                return SetOptions.failed(RespErrors.SYNTAX);
            }
        }
        if (keep) {
            return new SetOptions(nx, xx, get, Expiry.KEEP, null);
        }
        if (unit == null) {
            return new SetOptions(nx, xx, get, Expiry.NONE, null);
        }
        Long value = integer(amount);
        if (value == null) {
            return SetOptions.failed(NOT_AN_INTEGER);
        }
        Expiry expiry = expiry(value, unit.startsWith("E"), unit.endsWith("AT"));
        if (value <= 0 || expiry == null) {
            return SetOptions.failed(invalidExpireTime("set"));
        }
        return new SetOptions(nx, xx, get, expiry, null);
    }

    private static boolean isTimeOption(byte[] option) {
        return RespCommand.is(option, "EX")
                || RespCommand.is(option, "PX")
                || RespCommand.is(option, "EXAT")
                || RespCommand.is(option, "PXAT");
    }

    /** EXPIRE's parsed time and options: expiry and condition, or the error line to answer. */
    record ExpireArgs(Expiry expiry, ExpireCondition condition, String error) {
        static ExpireArgs failed(String error) {
            return new ExpireArgs(null, null, error);
        }
    }

    /**
     * The time and options of {@code EXPIRE|PEXPIRE|EXPIREAT|PEXPIREAT key time [NX|XX|GT|LT]},
     * checked in Redis 7's order (the options first, then the time). An option may be repeated; NX
     * with XX, GT or LT, and GT with LT, are refused with Redis's error. A time that is not
     * positive is accepted: the key is then deleted, if the condition holds (Redis's answer too).
     */
    static ExpireArgs expire(byte[][] args, String commandName, boolean seconds, boolean absolute) {
        boolean nx = false;
        boolean xx = false;
        boolean gt = false;
        boolean lt = false;
        for (int i = 3; i < args.length; i++) {
            if (RespCommand.is(args[i], "NX")) {
                nx = true;
            } else if (RespCommand.is(args[i], "XX")) {
                xx = true;
            } else if (RespCommand.is(args[i], "GT")) {
                gt = true;
            } else if (RespCommand.is(args[i], "LT")) {
                lt = true;
            } else {
                return ExpireArgs.failed("ERR Unsupported option " + ascii(args[i]));
            }
        }
        ExpireCondition condition = new ExpireCondition(nx, xx, gt, lt);
        if (condition.incompatibility() != null) {
            return ExpireArgs.failed("ERR " + condition.incompatibility());
        }
        Long value = integer(args[2]);
        if (value == null) {
            return ExpireArgs.failed(NOT_AN_INTEGER);
        }
        Expiry expiry = expiry(value, seconds, absolute);
        if (expiry == null) {
            return ExpireArgs.failed(invalidExpireTime(commandName));
        }
        return new ExpireArgs(expiry, condition, null);
    }

    /** The expiry for value in seconds or ms, relative or absolute; null when it overflows. */
    private static Expiry expiry(long value, boolean seconds, boolean absolute) {
        long millis = value;
        if (seconds) {
            if (value > Long.MAX_VALUE / 1000 || value < Long.MIN_VALUE / 1000) {
                return null;
            }
            millis = value * 1000;
        }
        if (absolute) {
            return Expiry.at(millis);
        }
        // Only to refuse a ttl whose deadline cannot be a long, as Redis does; the primary's clock
        // in the command layer makes the deadline.
        if (millis > 0 && millis > Long.MAX_VALUE - System.currentTimeMillis()) {
            return null;
        }
        return Expiry.in(millis);
    }

    static String invalidExpireTime(String commandName) {
        return "ERR invalid expire time in '" + commandName + "' command";
    }

    /** A long in Redis's strict form (no sign but '-', no leading zeros, no spaces), or null. */
    static Long integer(byte[] arg) {
        String s = ascii(arg);
        if (!s.matches("0|-?[1-9][0-9]{0,18}")) {
            return null;
        }
        try {
            return Long.parseLong(s);
        } catch (NumberFormatException e) {
            return null;
        }
    }

    private static String ascii(byte[] b) {
        return new String(b, StandardCharsets.ISO_8859_1);
    }
}
