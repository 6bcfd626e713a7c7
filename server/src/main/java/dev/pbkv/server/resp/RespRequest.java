package dev.pbkv.server.resp;

/**
 * One decoded request: the command name and its arguments as raw bytes, as a multibulk array
 * or an inline (telnet) line carried them.
 *
 * @param args   args[0] is the command name; never empty
 * @param inline whether it came as an inline line
 */
record RespRequest(byte[][] args, boolean inline) {}
