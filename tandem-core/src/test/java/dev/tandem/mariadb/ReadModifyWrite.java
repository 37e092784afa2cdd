package dev.tandem.mariadb;

import dev.tandem.testing.MariaDb;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Threads each running SELECT hits; UPDATE hits = read + 1; COMMIT on random rows of {@code items} (ids 1 to
 * {@code rows}), a few milliseconds apart (about 100 to 300 transactions a second in all) or, without {@code pause},
 * back to back, counting deadlock victims (1213) and errors (the first 20, deadlocks included).
 */
final class ReadModifyWrite implements AutoCloseable {
    final AtomicInteger done = new AtomicInteger();
    final AtomicInteger deadlocks = new AtomicInteger();
    final List<String> errors = new CopyOnWriteArrayList<>();
    final AtomicLong slowestMillis = new AtomicLong();
    private final List<Thread> threads = new ArrayList<>();
    private final long started = System.nanoTime();
    private volatile long stopped;
    private volatile boolean stop;

    ReadModifyWrite(String schema, int count, int rows, boolean pause) {
        for (int t = 0; t < count; t++) {
            Thread thread = new Thread(() -> {
                try (Connection c = MariaDb.dataSource(schema).getConnection();
                     PreparedStatement read = c.prepareStatement("SELECT hits FROM items WHERE id = ?");
                     PreparedStatement write = c.prepareStatement("UPDATE items SET hits = ? WHERE id = ?")) {
                    c.setAutoCommit(false);
                    while (!stop) {
                        int id = ThreadLocalRandom.current().nextInt(1, rows + 1);
                        long start = System.nanoTime();
                        try {
                            read.setInt(1, id);
                            int hits;
                            try (ResultSet rs = read.executeQuery()) {
                                rs.next();
                                hits = rs.getInt(1);
                            }
                            write.setInt(1, hits + 1);
                            write.setInt(2, id);
                            write.executeUpdate();
                            c.commit();
                            done.incrementAndGet();
                        } catch (SQLException e) {
                            c.rollback();
                            if (e.getErrorCode() == 1213) deadlocks.incrementAndGet();
                            if (errors.size() < 20) errors.add(e.getErrorCode() + " " + e.getMessage());
                        }
                        slowestMillis.accumulateAndGet((System.nanoTime() - start) / 1_000_000, Math::max);
                        if (pause) Thread.sleep(ThreadLocalRandom.current().nextInt(5, 25));
                    }
                } catch (Exception e) {
                    errors.add("writer: " + e);
                }
            }, "read-modify-write-" + t);
            thread.start();
            threads.add(thread);
        }
    }

    void atLeast(int more) throws InterruptedException {
        int target = done.get() + more;
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (done.get() < target && System.nanoTime() < deadline) Thread.sleep(5);
    }

    long millis() {
        return ((stopped == 0 ? System.nanoTime() : stopped) - started) / 1_000_000;
    }

    long perSecond() {
        return done.get() * 1000L / Math.max(1, millis());
    }

    void stop() throws InterruptedException {
        if (stopped != 0) return;
        stop = true;
        stopped = System.nanoTime();
        for (Thread t : threads) t.join(10_000);
    }

    @Override
    public void close() throws InterruptedException {
        stop();
    }
}
