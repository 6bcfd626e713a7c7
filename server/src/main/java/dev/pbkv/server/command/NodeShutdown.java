package dev.pbkv.server.command;

import java.util.concurrent.CompletableFuture;

/** What the command layer calls to stop the node (the node implements it; tests pass a lambda). */
@FunctionalInterface
public interface NodeShutdown {
    /**
     * Starts a graceful shutdown and completes, before the node exits, with whether the primary
     * role was handed over. Calling it again returns the same future.
     */
    CompletableFuture<Boolean> begin(boolean skipSwitchover);
}
