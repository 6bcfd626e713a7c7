package dev.pbkv.server.resp;

import dev.pbkv.server.command.Commands;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Predicate;

/**
 * Commands that count how many of the calls chosen by name are in flight at once: a door's
 * in-flight bound is what the tests of each door check with it. A call is counted out before the
 * door sees its answer; otherwise the door could end it and admit the next before the count
 * dropped, and the highest count would read one too many.
 */
public final class InFlightCounter {
    private final AtomicInteger outstanding = new AtomicInteger();
    private final AtomicInteger max = new AtomicInteger();
    private final Commands commands;

    /** Counts the calls to target whose method name counted accepts and whose answer is a future. */
    public InFlightCounter(Commands target, Predicate<String> counted) {
        commands = (Commands) Proxy.newProxyInstance(
                Commands.class.getClassLoader(), new Class<?>[] {Commands.class}, (proxy, method, args) -> {
                    Object result;
                    try {
                        result = method.invoke(target, args);
                    } catch (InvocationTargetException e) {
                        throw e.getCause();
                    }
                    if (!(result instanceof CompletableFuture<?> answer) || !counted.test(method.getName())) {
                        return result;
                    }
                    max.accumulateAndGet(outstanding.incrementAndGet(), Math::max);
                    CompletableFuture<Object> countedOut = new CompletableFuture<>();
                    answer.whenComplete((r, e) -> {
                        outstanding.decrementAndGet();
                        if (e != null) {
                            countedOut.completeExceptionally(e);
                        } else {
                            countedOut.complete(r);
                        }
                    });
                    return countedOut;
                });
    }

    /** The counting commands, to give to the door. */
    public Commands commands() {
        return commands;
    }

    /** The most calls in flight at once so far. */
    public int max() {
        return max.get();
    }
}
