package dev.tandem.mariadb;

import java.sql.Connection;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Application threads writing a table as fast as they can, each on a connection of its own, counting the writes that
 * succeeded and those that failed (with a few messages), until stopped.
 */
final class Writers implements AutoCloseable {
    /** One write of an application: what it runs on its connection, with a random number to vary it. */
    @FunctionalInterface
    interface Write {
        void run(Connection c, int random) throws SQLException;
    }

    /** How to open a writer's connection (with its version's settings). */
    @FunctionalInterface
    interface Session {
        Connection open() throws SQLException;
    }

    private final AtomicBoolean stop = new AtomicBoolean();
    private final List<Thread> threads = new ArrayList<>();
    final AtomicInteger done = new AtomicInteger();
    final AtomicInteger errors = new AtomicInteger();
    /** The longest any one write took, failed or not, in milliseconds. */
    final java.util.concurrent.atomic.AtomicLong slowestMillis = new java.util.concurrent.atomic.AtomicLong();
    final List<String> messages = Collections.synchronizedList(new ArrayList<>());

    /** Starts a thread that runs one of {@code writes}, chosen at random, again and again. */
    Writers start(String name, Session session, Write... writes) {
        Thread t = new Thread(() -> {
            try (Connection c = session.open()) {
                while (!stop.get()) {
                    Write w = writes[ThreadLocalRandom.current().nextInt(writes.length)];
                    long start = System.nanoTime();
                    try {
                        w.run(c, ThreadLocalRandom.current().nextInt(1, 1_000_000));
                        done.incrementAndGet();
                    } catch (SQLException e) {
                        errors.incrementAndGet();
                        if (messages.size() < 10) messages.add(name + ": " + e.getErrorCode() + " " + e.getMessage());
                    }
                    slowestMillis.accumulateAndGet((System.nanoTime() - start) / 1_000_000, Math::max);
                }
            } catch (SQLException e) {
                errors.incrementAndGet();
                messages.add(name + " could not connect: " + e.getMessage());
            }
        }, name);
        t.start();
        threads.add(t);
        return this;
    }

    /** Waits until the threads have tried at least {@code writes} more writes (so each phase is really exercised). */
    void atLeast(int writes) throws InterruptedException {
        int target = done.get() + errors.get() + writes;
        long deadline = System.nanoTime() + 30_000_000_000L;
        while (done.get() + errors.get() < target && System.nanoTime() < deadline) Thread.sleep(5);
    }

    @Override
    public void close() throws InterruptedException {
        stop.set(true);
        for (Thread t : threads) t.join(10_000);
    }
}
