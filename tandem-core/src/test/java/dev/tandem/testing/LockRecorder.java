package dev.tandem.testing;

import dev.tandem.engine.LockMode;
import dev.tandem.engine.Step;

import javax.sql.DataSource;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * Runs plan steps one by one as the executor would, and reads from pg_locks which tables and views each really
 * locked, and how strongly. A step in a transaction is read from its own session just before it commits (a
 * transaction keeps every lock until it ends). A CONCURRENTLY step runs outside a transaction and drops its locks
 * as it goes, so a second session holds an old snapshot and a lock on the schema's tables, which makes the step
 * wait for it half-way, and a third reads the step's locks while it waits.
 */
public final class LockRecorder {
    /** A table or view, by the name it had when the step started (or, for one the step created, after). */
    public record Relation(String schema, String name, char kind) {
        public String qualified() {
            return schema + "." + name;
        }
    }

    /** The managed schema's relations and those of its version schemas ({@code <schema>_<migration>}). */
    private static final String RELATIONS = "SELECT c.oid::bigint, n.nspname, c.relname, c.relkind FROM pg_class c"
            + " JOIN pg_namespace n ON n.oid = c.relnamespace"
            + " WHERE n.nspname = ? OR starts_with(n.nspname, ? || '_')";
    private static final String LOCKS = "SELECT relation::bigint, mode, granted FROM pg_locks"
            + " WHERE pid = ? AND locktype = 'relation'";

    private final DataSource db;
    private final String schema;

    public LockRecorder(DataSource db, String schema) {
        this.db = db;
        this.schema = schema;
    }

    /**
     * Runs the step (unless its skip query says it is done) and returns, per table and view, the strongest lock it
     * held; null when skipped.
     */
    public Map<String, LockMode> run(Step step) throws Exception {
        try (Connection c = db.getConnection()) {
            if (step.skipIf() != null && query(c, step.skipIf(), step.skipParams())) return null;
            Map<Long, Relation> before = relations(c);
            Map<Long, LockMode> held = step.mode() == Step.Mode.CONCURRENT ? whileWaiting(c, step, before) : inTransaction(c, step);
            Map<Long, Relation> after = relations(c);
            Map<String, LockMode> out = new LinkedHashMap<>();
            held.forEach((oid, mode) -> {
                Relation r = before.containsKey(oid) ? before.get(oid) : after.get(oid);
                // Tables and views only: a table's indexes, sequences and TOAST table come with it.
                if (r == null || "rpvmf".indexOf(r.kind()) < 0) return;
                out.merge(r.qualified(), mode, LockMode::strongest);
            });
            return out;
        }
    }

    private static Map<Long, LockMode> inTransaction(Connection c, Step step) throws SQLException {
        c.setAutoCommit(false);
        try (Statement st = c.createStatement()) {
            st.execute(step.sql());
            Map<Long, LockMode> held = locks(c, pid(c), true);
            c.commit();
            return held;
        } catch (SQLException e) {
            c.rollback();
            throw e;
        } finally {
            c.setAutoCommit(true);
        }
    }

    private Map<Long, LockMode> whileWaiting(Connection runner, Step step, Map<Long, Relation> relations) throws Exception {
        int runnerPid = pid(runner);
        try (Connection blocker = db.getConnection(); Connection watcher = db.getConnection()) {
            blocker.setAutoCommit(false);
            try (Statement st = blocker.createStatement()) {
                st.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ");
                for (Relation r : relations.values()) {
                    if (r.kind() == 'r' && r.schema().equals(schema)) st.execute("SELECT FROM " + quote(r.schema()) + "." + quote(r.name()) + " LIMIT 0");
                }
            }
            CompletableFuture<Void> running = CompletableFuture.runAsync(() -> {
                try (Statement st = runner.createStatement()) {
                    st.execute(step.sql());
                } catch (SQLException e) {
                    throw new IllegalStateException(step.sql() + ": " + e.getMessage(), e);
                }
            }, Background.THREADS);
            Map<Long, LockMode> seen = new HashMap<>();
            boolean waited = false;
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (!running.isDone() && System.nanoTime() < deadline) {
                Map<Long, LockMode> granted = locks(watcher, runnerPid, true);
                granted.forEach((oid, mode) -> seen.merge(oid, mode, LockMode::strongest));
                if (hasWaitingLock(watcher, runnerPid)) {
                    // Read once more now that it waits: every lock it took so far is still held.
                    locks(watcher, runnerPid, true).forEach((oid, mode) -> seen.merge(oid, mode, LockMode::strongest));
                    waited = true;
                    break;
                }
                Thread.sleep(5);
            }
            blocker.commit();
            running.get(60, TimeUnit.SECONDS);
            if (!waited) throw new IllegalStateException("never saw the step wait, so its locks were not observed: " + step.sql());
            return seen;
        }
    }

    private static boolean hasWaitingLock(Connection c, int pid) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("SELECT EXISTS (SELECT 1 FROM pg_locks WHERE pid = ? AND NOT granted)")) {
            ps.setInt(1, pid);
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next() && rs.getBoolean(1);
            }
        }
    }

    private static Map<Long, LockMode> locks(Connection c, int pid, boolean granted) throws SQLException {
        Map<Long, LockMode> out = new HashMap<>();
        try (PreparedStatement ps = c.prepareStatement(LOCKS)) {
            ps.setInt(1, pid);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    if (rs.getBoolean(3) != granted) continue;
                    out.merge(rs.getLong(1), LockMode.of(rs.getString(2)), LockMode::strongest);
                }
            }
        }
        return out;
    }

    private Map<Long, Relation> relations(Connection c) throws SQLException {
        Map<Long, Relation> out = new HashMap<>();
        try (PreparedStatement ps = c.prepareStatement(RELATIONS)) {
            ps.setString(1, schema);
            ps.setString(2, schema);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) out.put(rs.getLong(1), new Relation(rs.getString(2), rs.getString(3), rs.getString(4).charAt(0)));
            }
        }
        return out;
    }

    private static int pid(Connection c) throws SQLException {
        try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery("SELECT pg_backend_pid()")) {
            rs.next();
            return rs.getInt(1);
        }
    }

    private static boolean query(Connection c, String sql, List<String> params) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(sql)) {
            for (int i = 0; i < params.size(); i++) ps.setString(i + 1, params.get(i));
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next() && rs.getBoolean(1);
            }
        }
    }

    private static String quote(String name) {
        return "\"" + name.replace("\"", "\"\"") + "\"";
    }

    /** The claims of a step in the same shape as what {@link #run} measures. */
    public static Map<String, LockMode> claimed(Step step) {
        Map<String, LockMode> out = new LinkedHashMap<>();
        step.locks().tables().forEach(t -> out.merge(t.qualifiedName(), t.mode(), LockMode::strongest));
        return out;
    }
}
