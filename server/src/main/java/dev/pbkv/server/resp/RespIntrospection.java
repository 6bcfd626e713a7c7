package dev.pbkv.server.resp;

import dev.pbkv.server.command.NodeStatus;
import dev.pbkv.server.role.Role;
import io.netty.buffer.ByteBuf;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The commands clients send about the server rather than the data: COMMAND, CONFIG GET and
 * HELLO. They answer just enough for redis-cli, redis-benchmark, Jedis and Lettuce to start.
 */
final class RespIntrospection {

    /** CONFIG GET answers these; redis-benchmark asks for save and appendonly at start. */
    private static final Map<String, String> CONFIG = new LinkedHashMap<>();

    static {
        CONFIG.put("save", "");
        CONFIG.put("appendonly", "no");
        CONFIG.put("databases", "1");
        CONFIG.put("timeout", "0");
        CONFIG.put("maxmemory-policy", "noeviction");
        CONFIG.put("cluster-enabled", "no");
    }

    private RespIntrospection() {}

    static boolean command(byte[][] args, ByteBuf o) {
        if (args.length == 1) {
            RespWriter.arrayHeader(o, RespCommand.values().length);
            for (RespCommand c : RespCommand.values()) {
                commandInfo(c, o);
            }
            return true;
        }
        String sub = ascii(args[1]).toUpperCase(Locale.ROOT);
        switch (sub) {
            case "COUNT" -> RespWriter.integer(o, RespCommand.values().length);
            case "DOCS" -> RespWriter.emptyArray(o);
            case "LIST" -> {
                RespWriter.arrayHeader(o, RespCommand.values().length);
                for (RespCommand c : RespCommand.values()) {
                    RespWriter.bulk(o, c.lowerName);
                }
            }
            case "INFO" -> {
                RespWriter.arrayHeader(o, args.length - 2);
                for (int i = 2; i < args.length; i++) {
                    RespCommand c = RespCommand.lookup(args[i]);
                    if (c == null) {
                        RespWriter.nil(o);
                    } else {
                        commandInfo(c, o);
                    }
                }
            }
            default -> {
                RespWriter.error(o, "ERR unknown subcommand '" + sub + "'. Try COMMAND COUNT, DOCS, INFO, LIST.");
                return false;
            }
        }
        return true;
    }

    /** One command's entry in Redis 7's 10-field shape, so clients that index into it find each field. */
    private static void commandInfo(RespCommand c, ByteBuf o) {
        RespWriter.arrayHeader(o, 10);
        RespWriter.bulk(o, c.lowerName);
        RespWriter.integer(o, c.arity);
        List<String> flags = new ArrayList<>();
        if (c.write) {
            flags.add("write");
            flags.add("denyoom");
        }
        if (c.readOnly) {
            flags.add("readonly");
        }
        if (c != RespCommand.SHUTDOWN && c != RespCommand.MSET && c != RespCommand.DEL) {
            flags.add("fast");
        }
        RespWriter.arrayHeader(o, flags.size());
        for (String flag : flags) {
            RespWriter.simple(o, flag);
        }
        RespWriter.integer(o, c.firstKey);
        RespWriter.integer(o, c.lastKey);
        RespWriter.integer(o, c.step);
        RespWriter.emptyArray(o); // ACL categories
        RespWriter.emptyArray(o); // tips
        RespWriter.emptyArray(o); // key specifications
        RespWriter.emptyArray(o); // subcommands
    }

    static boolean config(byte[][] args, ByteBuf o) {
        String sub = ascii(args[1]).toUpperCase(Locale.ROOT);
        switch (sub) {
            case "GET" -> {
                if (args.length < 3) {
                    RespWriter.error(o, RespErrors.wrongArity("config|get"));
                    return false;
                }
                Map<String, String> found = new LinkedHashMap<>();
                for (int i = 2; i < args.length; i++) {
                    String pattern = ascii(args[i]).toLowerCase(Locale.ROOT);
                    CONFIG.forEach((name, value) -> {
                        if (globMatches(pattern, name)) {
                            found.put(name, value);
                        }
                    });
                }
                RespWriter.arrayHeader(o, found.size() * 2);
                found.forEach((name, value) -> {
                    RespWriter.bulk(o, name);
                    RespWriter.bulk(o, value);
                });
            }
            case "RESETSTAT" -> RespWriter.ok(o);
            default -> {
                RespWriter.error(
                        o, "ERR CONFIG " + sub + " is not supported by pbkv; settings live in conf/settings.conf");
                return false;
            }
        }
        return true;
    }

    static boolean hello(byte[][] args, ByteBuf o, long clientId, NodeStatus status) {
        if (args.length > 1) {
            String version = ascii(args[1]);
            if (!version.equals("2")) {
                if (version.equals("3")) {
                    RespWriter.error(o, "NOPROTO sorry, this protocol version is not supported (pbkv speaks RESP2)");
                } else {
                    RespWriter.error(o, "NOPROTO unsupported protocol version");
                }
                return false;
            }
        }
        RespWriter.arrayHeader(o, 14);
        RespWriter.bulk(o, "server");
        RespWriter.bulk(o, "redis");
        RespWriter.bulk(o, "version");
        RespWriter.bulk(o, RespInfo.REDIS_COMPAT_VERSION);
        RespWriter.bulk(o, "proto");
        RespWriter.integer(o, 2);
        RespWriter.bulk(o, "id");
        RespWriter.integer(o, clientId);
        RespWriter.bulk(o, "mode");
        RespWriter.bulk(o, "standalone");
        RespWriter.bulk(o, "role");
        RespWriter.bulk(o, status.role() == Role.PRIMARY ? "master" : "replica");
        RespWriter.bulk(o, "modules");
        RespWriter.emptyArray(o);
        return true;
    }

    /** Redis-style glob: '*' any run, '?' any one character, everything else literal. */
    static boolean globMatches(String pattern, String text) {
        return globMatches(pattern, 0, text, 0);
    }

    private static boolean globMatches(String p, int pi, String t, int ti) {
        while (pi < p.length()) {
            char c = p.charAt(pi);
            if (c == '*') {
                for (int k = ti; k <= t.length(); k++) {
                    if (globMatches(p, pi + 1, t, k)) {
                        return true;
                    }
                }
                return false;
            }
            if (ti >= t.length() || (c != '?' && c != t.charAt(ti))) {
                return false;
            }
            pi++;
            ti++;
        }
        return ti == t.length();
    }

    private static String ascii(byte[] bytes) {
        return new String(bytes, StandardCharsets.US_ASCII);
    }
}
