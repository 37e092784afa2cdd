package dev.tandem.cli;

import javax.sql.DataSource;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * One application instance writing {@code items} as its version sees it, and remembering exactly what it committed,
 * so that a test can tell afterwards whether any committed write was lost.
 *
 * <p>Each writer owns the rows whose id modulo {@code writers} is its index: only it changes their name and flag, so
 * their final values are known. The counter {@code n} is incremented by every writer on any row (read, then write
 * the value read plus one, under {@code FOR UPDATE}): its final value must equal the number of committed
 * increments, whatever the order. Inserts use ids of the writer's own range.
 */
final class VersionWriter implements Runnable {
    /** What a writer last committed to one of its rows, in the new version's terms; v only for rows it inserted. */
    record Owned(String title, boolean flag, Integer v) {
    }

    private final String name;
    private final int index;
    private final int writers;
    private final boolean newVersion;
    /** PostgreSQL casts the text parameter to the column's type; MariaDB converts it by itself (BOOLEAN is TINYINT(1)). */
    private final boolean castParameters;
    private final DataSource dataSource;
    private final long rows;
    private final Random random;
    private final AtomicBoolean stop = new AtomicBoolean();
    private Thread thread;

    /** Committed increments of {@code n} by id, shared by all writers. */
    private final Map<Long, AtomicInteger> increments;
    /** The last committed name and flag of each row this writer owns and changed, and the rows it inserted. */
    final Map<Long, Owned> owned = new ConcurrentHashMap<>();
    final AtomicLong committed = new AtomicLong();
    final ConcurrentLinkedQueue<String> errors = new ConcurrentLinkedQueue<>();
    private long nextInsert;

    VersionWriter(String name, int index, int writers, boolean newVersion, boolean castParameters, DataSource dataSource,
                  long rows, Map<Long, AtomicInteger> increments, long seed) {
        this.castParameters = castParameters;
        this.name = name;
        this.index = index;
        this.writers = writers;
        this.newVersion = newVersion;
        this.dataSource = dataSource;
        this.rows = rows;
        this.increments = increments;
        this.random = new Random(seed);
        this.nextInsert = (index + 1) * 1_000_000L;
    }

    void start() {
        stop.set(false);
        thread = new Thread(this, name);
        thread.setDaemon(true);
        thread.start();
    }

    void stop() throws InterruptedException {
        stop.set(true);
        thread.join();
    }

    @Override
    public void run() {
        try (Connection c = dataSource.getConnection()) {
            c.setAutoCommit(false);
            while (!stop.get()) {
                try {
                    if (random.nextInt(10) < 7) update(c);
                    else insert(c);
                } catch (SQLException e) {
                    c.rollback();
                    errors.add(name + ": " + e.getMessage());
                    if (errors.size() > 50) return;
                }
                // Leaves the two shared cores to Tandem and the server most of the time.
                Thread.sleep(2);
            }
        } catch (SQLException | InterruptedException e) {
            errors.add(name + ": " + e);
        }
    }

    private void update(Connection c) throws SQLException {
        long id = 1 + (long) random.nextInt((int) rows);
        int n;
        try (PreparedStatement ps = c.prepareStatement("SELECT n FROM items WHERE id = ? FOR UPDATE")) {
            ps.setLong(1, id);
            try (ResultSet rs = ps.executeQuery()) {
                if (!rs.next()) throw new SQLException("row " + id + " is missing");
                n = rs.getInt(1);
            }
        }
        boolean mine = id % writers == index;
        String title = name + "-" + random.nextInt(1_000_000);
        boolean flag = random.nextBoolean();
        String sql = mine
                ? "UPDATE items SET n = ?, " + nameColumn() + " = ?, flag = " + flagParameter() + " WHERE id = ?"
                : "UPDATE items SET n = ? WHERE id = ?";
        try (PreparedStatement ps = c.prepareStatement(sql)) {
            ps.setInt(1, n + 1);
            if (mine) {
                ps.setString(2, title);
                ps.setString(3, flagValue(flag));
                ps.setLong(4, id);
            } else {
                ps.setLong(2, id);
            }
            if (ps.executeUpdate() != 1) throw new SQLException("row " + id + " was not updated");
        }
        c.commit();
        committed.incrementAndGet();
        increments.computeIfAbsent(id, k -> new AtomicInteger()).incrementAndGet();
        if (mine) owned.put(id, new Owned(title, flag, null));
    }

    private void insert(Connection c) throws SQLException {
        long id = nextInsert++;
        int v = random.nextInt(1000);
        String title = name + "-new-" + id;
        boolean flag = random.nextBoolean();
        String sql = newVersion
                ? "INSERT INTO items (id, title, flag, v, w, n) VALUES (?, ?, " + flagParameter() + ", ?, ?, 0)"
                : "INSERT INTO items (id, name, flag, v, n) VALUES (?, ?, " + flagParameter() + ", ?, 0)";
        try (PreparedStatement ps = c.prepareStatement(sql)) {
            ps.setLong(1, id);
            ps.setString(2, title);
            ps.setString(3, flagValue(flag));
            ps.setInt(4, v);
            if (newVersion) ps.setInt(5, v * 2);
            ps.executeUpdate();
        }
        c.commit();
        committed.incrementAndGet();
        owned.put(id, new Owned(title, flag, v));
    }

    private String nameColumn() {
        return newVersion ? "title" : "name";
    }

    private String flagParameter() {
        if (!castParameters) return "?";
        return newVersion ? "?::boolean" : "?::integer";
    }

    private String flagValue(boolean flag) {
        return newVersion && castParameters ? String.valueOf(flag) : flag ? "1" : "0";
    }
}
