package dev.pbkv.server.command.watch;

import java.util.List;

/**
 * What a door sends a watcher in one message.
 *
 * @param changes the changes, in log order (empty for a progress message)
 * @param through every matching change up to this offset has now been given to the door: a client
 *                that resumes from through + 1 misses nothing and sees nothing twice
 */
public record WatchBatch(List<Change> changes, long through) {}
