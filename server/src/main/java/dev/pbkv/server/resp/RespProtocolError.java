package dev.pbkv.server.resp;

/**
 * A request the decoder could not accept: a malformed frame or a limit exceeded.
 *
 * @param message the error line to send, without the leading '-' (e.g. "ERR Protocol error: ...")
 * @param close   whether the stream cannot be resynchronised, so the connection must close after
 *                the error is sent
 */
record RespProtocolError(String message, boolean close) {}
