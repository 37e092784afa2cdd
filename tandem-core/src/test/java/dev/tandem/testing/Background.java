package dev.tandem.testing;

import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * Threads for test tasks that block (on the database, on a sleep, or until told to stop). The common ForkJoin pool
 * that {@code CompletableFuture.runAsync} uses by default has one thread fewer than the machine has cores: on four
 * cores, a fourth endless writer would wait for the other three to stop before it ever ran.
 */
public final class Background {
    public static final ExecutorService THREADS = Executors.newCachedThreadPool(r -> {
        Thread t = new Thread(r, "test-background");
        t.setDaemon(true);
        return t;
    });

    private Background() {
    }
}
