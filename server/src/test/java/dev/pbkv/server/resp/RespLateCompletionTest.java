package dev.pbkv.server.resp;

import static org.assertj.core.api.Assertions.assertThat;

import dev.pbkv.server.command.Commands;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import redis.clients.jedis.Jedis;

/**
 * A reply whose future completes while the door is queueing it (after the door saw it not done,
 * before it registered for the completion) is still sent. Found by redis-benchmark -P 1 hanging
 * against a real node: its writes complete on the log thread at any moment.
 */
class RespLateCompletionTest {

    /** Not done when first asked, and done from then on: the completion lands inside the door's queueing. */
    static final class CompletesWhenFirstAsked<T> extends CompletableFuture<T> {
        private final T value;
        /** Event loop only (the door asks on its event loop). */
        private boolean asked;

        CompletesWhenFirstAsked(T value) {
            this.value = value;
        }

        @Override
        public boolean isDone() {
            if (!asked) {
                asked = true;
                boolean done = super.isDone();
                complete(value);
                return done;
            }
            return super.isDone();
        }
    }

    private InMemoryCommands backing;
    private RespDoor door;
    private Jedis jedis;

    @BeforeEach
    void start() throws Exception {
        backing = new InMemoryCommands();
        // Every put answers with a future that completes "between" the door's two looks at it.
        Commands racing = (Commands) Proxy.newProxyInstance(
                Commands.class.getClassLoader(), new Class<?>[] {Commands.class}, (proxy, method, args) -> {
                    try {
                        Object result = method.invoke(backing, args);
                        if (method.getName().equals("put")) {
                            return new CompletesWhenFirstAsked<>(((CompletableFuture<?>) result).join());
                        }
                        return result;
                    } catch (InvocationTargetException e) {
                        throw e.getCause();
                    }
                });
        door = new RespDoor(racing, new RespSettings("127.0.0.1", 0, 2 * 1024 * 1024, 1024, 65536, 1));
        door.start();
        jedis = new Jedis("127.0.0.1", door.port(), 3_000);
    }

    @AfterEach
    void stop() {
        jedis.close();
        door.close();
        backing.close();
    }

    @Test
    void aReplyCompletingWhileQueuedIsSent() {
        // Without the fix the SET's reply stays queued forever and Jedis times out.
        assertThat(jedis.set("k", "v")).isEqualTo("OK");
        assertThat(jedis.get("k")).isEqualTo("v");
        assertThat(jedis.set("k", "w")).isEqualTo("OK");
        assertThat(jedis.get("k")).isEqualTo("w");
    }
}
