package dev.tandem.bench;

import javax.sql.DataSource;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The application's read-write transaction on {@code t(id, n, payload)}: read a random row by its key, set its
 * {@code n}, and every {@link #INSERT_EVERY}th time insert a row. It remembers what it committed, so that after a
 * schema change {@link #verify} can tell whether a write was lost: each client updates only the rows whose
 * {@code id} is its own modulo the number of clients, so the last value it committed to a row is the row's value.
 */
final class PointWrites implements SteadyLoad.Transaction {
    /** One transaction in this many also inserts a row. */
    static final int INSERT_EVERY = 10;

    private final long rows;
    private final int clients;
    /** Per client: row → the value of n its last committed update wrote. */
    private final List<Map<Long, Integer>> written = new ArrayList<>();
    /** Rows whose last commit failed: the server may have kept either value. */
    private final Set<Long> uncertain = new HashSet<>();
    private final AtomicLong inserted = new AtomicLong();
    private final AtomicLong insertsUncertain = new AtomicLong();

    PointWrites(long rows, int clients) {
        if (rows < clients) throw new IllegalArgumentException("fewer rows (" + rows + ") than clients (" + clients + ")");
        this.rows = rows;
        this.clients = clients;
        for (int i = 0; i < clients; i++) written.add(new HashMap<>());
    }

    @Override
    public SteadyLoad.Outcome run(Connection c, int client, ThreadLocalRandom random) throws SQLException {
        // Rows 1..rows: client k owns k+1, k+1+clients, ...
        long id = 1 + client + clients * random.nextLong((rows - 1 - client) / clients + 1);
        int value = random.nextInt(1_000_000);
        try (PreparedStatement read = c.prepareStatement("SELECT id, n, payload FROM t WHERE id = ?")) {
            read.setLong(1, id);
            try (ResultSet rs = read.executeQuery()) {
                if (!rs.next()) throw new SQLException("a row of the loaded table is missing", "02000");
            }
        }
        try (PreparedStatement update = c.prepareStatement("UPDATE t SET n = ? WHERE id = ?")) {
            update.setInt(1, value);
            update.setLong(2, id);
            if (update.executeUpdate() != 1) throw new SQLException("a row of the loaded table was not updated", "02000");
        }
        boolean inserts = random.nextInt(INSERT_EVERY) == 0;
        if (inserts) {
            try (PreparedStatement insert = c.prepareStatement("INSERT INTO t (n, payload) VALUES (?, ?)")) {
                insert.setInt(1, value);
                insert.setString(2, "inserted by the load");
                insert.executeUpdate();
            }
        }
        Map<Long, Integer> mine = written.get(client);
        return new SteadyLoad.Outcome() {
            @Override
            public void committed() {
                synchronized (mine) {
                    mine.put(id, value);
                }
                if (inserts) inserted.incrementAndGet();
            }

            @Override
            public void uncertain() {
                synchronized (uncertain) {
                    uncertain.add(id);
                }
                if (inserts) insertsUncertain.incrementAndGet();
            }
        };
    }

    long committedInserts() {
        return inserted.get();
    }

    /**
     * Reads back every row the load updated, through {@code ds} (the application's view of the table after the
     * change), and counts the rows.
     *
     * @return what differs, empty when every committed write is there
     */
    List<String> verify(DataSource ds) throws SQLException {
        List<String> problems = new ArrayList<>();
        long differ = 0;
        Map<Long, Integer> expected = new HashMap<>();
        for (Map<Long, Integer> m : written) {
            synchronized (m) {
                expected.putAll(m);
            }
        }
        synchronized (uncertain) {
            expected.keySet().removeAll(uncertain);
        }
        try (Connection c = ds.getConnection(); Statement st = c.createStatement()) {
            List<Long> ids = new ArrayList<>(expected.keySet());
            for (int from = 0; from < ids.size(); from += 1000) {
                List<Long> chunk = ids.subList(from, Math.min(ids.size(), from + 1000));
                StringBuilder in = new StringBuilder();
                for (Long id : chunk) in.append(in.length() == 0 ? "" : ",").append(id);
                Map<Long, Long> found = new HashMap<>();
                try (ResultSet rs = st.executeQuery("SELECT id, n FROM t WHERE id IN (" + in + ")")) {
                    while (rs.next()) found.put(rs.getLong(1), rs.getLong(2));
                }
                for (Long id : chunk) {
                    Long n = found.get(id);
                    if (n == null || n.longValue() != expected.get(id)) {
                        if (++differ <= 3) problems.add("row " + id + ": n = " + n + ", the load committed " + expected.get(id));
                    }
                }
            }
            if (differ > 0) problems.add(0, differ + " of " + expected.size() + " rows the load updated read back otherwise");
            try (ResultSet rs = st.executeQuery("SELECT COUNT(*) FROM t")) {
                rs.next();
                long count = rs.getLong(1);
                long low = rows + inserted.get();
                long high = low + insertsUncertain.get();
                if (count < low || count > high) {
                    problems.add(count + " rows, expected " + (low == high ? low : low + " to " + high));
                }
            }
        }
        return problems;
    }

    /** How many rows {@link #verify} compares. */
    int rowsWritten() {
        int n = 0;
        for (Map<Long, Integer> m : written) {
            synchronized (m) {
                n += m.size();
            }
        }
        return n;
    }
}
