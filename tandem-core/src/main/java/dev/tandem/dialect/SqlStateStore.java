package dev.tandem.dialect;

import dev.tandem.engine.Plan;
import dev.tandem.state.BackfillState;
import dev.tandem.state.MigrationState;
import dev.tandem.state.Phase;
import dev.tandem.state.StateStore;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Types;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The state tables' reads and writes that are the same SQL on every database: what differs (the clock, how a time
 * and a key are stored, the upsert clause, installing the tables, which sessions are alive) each dialect's store
 * says. The tables are the same everywhere: {@code migrations}, {@code backfill}, {@code instance_versions},
 * {@code history}, {@code lock_holder}.
 */
public abstract class SqlStateStore implements StateStore {
    protected static final String INSTANCES = "instance_versions";
    /** One row per managed schema: the Tandem command that took its migration lock last ({@link #recordLockHolder}). */
    protected static final String LOCK_HOLDER = "lock_holder";

    protected final Dialect dialect;
    protected final String stateSchema;
    /** The managed schema whose migrations this store keeps. */
    protected final String schema;

    protected SqlStateStore(Dialect dialect, String stateSchema, String schema) {
        this.dialect = dialect;
        this.stateSchema = stateSchema;
        this.schema = schema;
    }

    /** The database's clock, as an SQL expression. */
    protected abstract String now();

    /** A stored time column as the select list reads it for {@link #readTime}. */
    protected abstract String time(String column);

    protected abstract Instant readTime(ResultSet rs, int column) throws SQLException;

    /** The oldest time still younger than {@code fresh} on the database's clock, as an SQL expression. */
    protected abstract String freshSince(Duration fresh);

    /** Binds a backfill key (null: NULL) to a marker. */
    protected abstract void setKey(Connection c, PreparedStatement ps, int index, List<String> key) throws SQLException;

    protected abstract List<String> readKey(ResultSet rs, int column) throws SQLException;

    /**
     * What follows an INSERT's VALUES to update the row whose key it duplicates instead: {@code ON CONFLICT (key) DO
     * UPDATE SET} or {@code ON DUPLICATE KEY UPDATE}, assignments to come.
     */
    protected abstract String onDuplicate(String keyColumns);

    /** The value an upsert's INSERT gave {@code column}, in its update part. */
    protected abstract String inserted(String column);

    /** What follows an INSERT's VALUES to leave the row whose key it duplicates as it is. */
    protected abstract String ignoreDuplicate();

    /** How {@code backfills} reads the walk column (PostgreSQL stores from before it had one). */
    protected String walkColumn() {
        return "walk";
    }

    /** Whether a table of the state schema exists. */
    protected abstract boolean exists(Connection c, String stateTable) throws SQLException;

    @Override
    public String stateSchema() {
        return stateSchema;
    }

    @Override
    public String schema() {
        return schema;
    }

    protected String table(String name) {
        return dialect.qualify(stateSchema, name);
    }

    @Override
    public boolean installed(Connection c) throws SQLException {
        return exists(c, "migrations");
    }

    @Override
    public void recordLockHolder(Connection c, long sessionId, String command) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("INSERT INTO " + table(LOCK_HOLDER)
                + " (schema_name, session_id, command, taken_at) VALUES (?, ?, ?, " + now() + ")"
                + onDuplicate("schema_name") + "session_id = " + inserted("session_id") + ", command = "
                + inserted("command") + ", taken_at = " + inserted("taken_at"))) {
            ps.setString(1, schema);
            ps.setLong(2, sessionId);
            ps.setString(3, command);
            ps.executeUpdate();
        }
    }

    @Override
    public Optional<LockHolderRecord> lockHolder(Connection c) throws SQLException {
        // Read without install(): status and a waiting command may run before the holder created the table.
        if (!exists(c, LOCK_HOLDER)) return Optional.empty();
        try (PreparedStatement ps = c.prepareStatement("SELECT session_id, command, " + time("taken_at") + " FROM "
                + table(LOCK_HOLDER) + " WHERE schema_name = ?")) {
            ps.setString(1, schema);
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next() ? Optional.of(new LockHolderRecord(rs.getLong(1), rs.getString(2), readTime(rs, 3)))
                        : Optional.empty();
            }
        }
    }

    @Override
    public void heartbeat(Connection c, String instanceId, String version, String host, long pid) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("INSERT INTO " + table(INSTANCES)
                + " (instance_id, schema_name, version, host, pid, started_at, last_seen) VALUES (?, ?, ?, ?, ?, " + now()
                + ", " + now() + ")" + onDuplicate("instance_id, version") + "last_seen = " + now() + ", schema_name = "
                + inserted("schema_name") + ", host = " + inserted("host") + ", pid = " + inserted("pid"))) {
            ps.setString(1, instanceId);
            ps.setString(2, schema);
            ps.setString(3, version);
            ps.setString(4, host);
            ps.setLong(5, pid);
            ps.executeUpdate();
        }
    }

    /** Removes this version's row of the instance only: the same id may be running the other version still. */
    @Override
    public void removeInstance(Connection c, String instanceId, String version) throws SQLException {
        // Not installed(): heartbeats run before Tandem ever installed its migration state.
        if (!exists(c, INSTANCES)) return;
        try (PreparedStatement ps = c.prepareStatement("DELETE FROM " + table(INSTANCES) + " WHERE instance_id = ? AND version = ?")) {
            ps.setString(1, instanceId);
            ps.setString(2, version);
            ps.executeUpdate();
        }
    }

    /**
     * Adds the instances whose heartbeat in {@code heartbeats} is younger than {@code fresh} to {@code found} (keyed
     * by version and id), keeping the connections already counted for them: a beat is the newer word on the rest.
     */
    protected void addBeating(Connection c, String heartbeats, Duration fresh, Map<List<String>, Instance> found)
            throws SQLException {
        if (!exists(c, heartbeats)) return;
        try (PreparedStatement ps = c.prepareStatement("SELECT instance_id, version, host, " + time("last_seen") + " FROM "
                + table(heartbeats) + " WHERE schema_name = ? AND last_seen > " + freshSince(fresh)
                + " ORDER BY instance_id, version")) {
            ps.setString(1, schema);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    List<String> key = List.of(rs.getString(2), rs.getString(1));
                    Instance seen = found.get(key);
                    found.put(key, new Instance(rs.getString(1), rs.getString(2), rs.getString(3), readTime(rs, 4),
                            seen == null ? 0 : seen.connections(), true, seen == null ? null : seen.sessions()));
                }
            }
        }
    }

    @Override
    public Map<String, MigrationState> all(Connection c) throws SQLException {
        Map<String, MigrationState> states = new LinkedHashMap<>();
        if (!installed(c)) return states;
        try (PreparedStatement ps = c.prepareStatement("SELECT name, phase, checksum, file, version_schema,"
                + " previous_version_schema, plan, steps_done, " + time("started_at") + ", " + time("expanded_at") + ", "
                + time("backfilled_at") + ", " + time("completed_at") + ", " + time("rolled_back_at")
                + " FROM " + table("migrations") + " WHERE schema_name = ? ORDER BY name")) {
            ps.setString(1, schema);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    MigrationState s = new MigrationState(rs.getString(1), Phase.of(rs.getString(2)), rs.getString(3),
                            rs.getString(4), rs.getString(5), rs.getString(6), rs.getString(7), rs.getInt(8),
                            readTime(rs, 9), readTime(rs, 10), readTime(rs, 11), readTime(rs, 12), readTime(rs, 13));
                    states.put(s.name(), s);
                }
            }
        }
        return states;
    }

    private static final String CLEAR_BACKFILL_CONTROL = "backfill_paused = FALSE, backfill_max_rows_per_second = NULL,"
            + " backfill_status = NULL, backfill_reason = NULL, backfill_seen_at = NULL";

    /** Records that a migration's expand starts with this plan (or starts again after a rollback). */
    @Override
    public void begin(Connection c, String name, String checksum, String file, Plan plan) throws SQLException {
        // One transaction: a process killed between the two would leave the new expand the checkpoints of the
        // backfill before the rollback, and a backfill that finds them done at once. (The migration's row first, as
        // every writer of both tables locks them, so that they never deadlock.)
        boolean auto = c.getAutoCommit();
        c.setAutoCommit(false);
        try {
            try (PreparedStatement ps = c.prepareStatement("INSERT INTO " + table("migrations")
                    + " (schema_name, name, phase, checksum, file, version_schema, previous_version_schema, plan, steps_done,"
                    + " started_at, updated_at) VALUES (?, ?, 'expanding', ?, ?, ?, ?, ?, 0, " + now() + ", " + now() + ")"
                    + onDuplicate("schema_name, name") + "phase = 'expanding', checksum = " + inserted("checksum")
                    + ", file = " + inserted("file") + ", version_schema = " + inserted("version_schema")
                    + ", previous_version_schema = " + inserted("previous_version_schema") + ", plan = " + inserted("plan")
                    + ", steps_done = 0, started_at = " + now() + ", expanded_at = NULL, backfilled_at = NULL,"
                    + " completed_at = NULL, rolled_back_at = NULL, updated_at = " + now() + ", " + CLEAR_BACKFILL_CONTROL)) {
                ps.setString(1, schema);
                ps.setString(2, name);
                ps.setString(3, checksum);
                ps.setString(4, file);
                ps.setString(5, plan.versionSchema());
                ps.setString(6, plan.previousVersionSchema());
                ps.setString(7, StateStore.toJson(plan));
                ps.executeUpdate();
            }
            clearBackfills(c, name);
            c.commit();
        } catch (SQLException | RuntimeException e) {
            c.rollback();
            throw e;
        } finally {
            c.setAutoCommit(auto);
        }
    }

    @Override
    public void clearBackfills(Connection c, String migration) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("DELETE FROM " + table("backfill") + " WHERE schema_name = ? AND migration = ?")) {
            ps.setString(1, schema);
            ps.setString(2, migration);
            ps.executeUpdate();
        }
    }

    /** Moves a migration to a phase; the timestamp column that goes with the phase is set. */
    @Override
    public void setPhase(Connection c, String name, Phase phase) throws SQLException {
        String stamp = switch (phase) {
            case EXPANDED -> ", expanded_at = " + now();
            case BACKFILLED -> ", backfilled_at = " + now();
            case COMPLETE -> ", completed_at = " + now();
            // Pause, rate limit and activity belong to this migration's one backfill, which a rollback ends: an
            // expand after it starts a backfill of its own, neither paused nor limited by the old one's settings.
            case ROLLED_BACK -> ", rolled_back_at = " + now() + ", " + CLEAR_BACKFILL_CONTROL;
            default -> "";
        };
        updateMigration(c, name, "phase = ?, steps_done = 0, updated_at = " + now() + stamp, phase.text);
    }

    /** {@code UPDATE migrations SET <assignments>} for one migration; {@code values} fill the assignments' markers. */
    private void updateMigration(Connection c, String migration, String assignments, Object... values) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("UPDATE " + table("migrations") + " SET " + assignments
                + " WHERE schema_name = ? AND name = ?")) {
            int i = 1;
            for (Object v : values) {
                if (v == null) ps.setNull(i++, Types.VARCHAR);
                else ps.setObject(i++, v);
            }
            ps.setString(i++, schema);
            ps.setString(i, migration);
            ps.executeUpdate();
        }
    }

    @Override
    public void setStepsDone(Connection c, String name, int done) throws SQLException {
        updateMigration(c, name, "steps_done = ?, updated_at = " + now(), done);
    }

    @Override
    public void history(Connection c, String migration, String phase, String event, String detail) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("INSERT INTO " + table("history")
                + " (at, schema_name, migration, phase, event, detail) VALUES (" + now() + ", ?, ?, ?, ?, ?)")) {
            ps.setString(1, schema);
            ps.setString(2, migration);
            ps.setString(3, phase);
            ps.setString(4, event);
            ps.setString(5, detail);
            ps.executeUpdate();
        }
    }

    @Override
    public Optional<String> lastEvent(Connection c, String migration) throws SQLException {
        if (!installed(c)) return Optional.empty();
        try (PreparedStatement ps = c.prepareStatement("SELECT event, detail, " + time("at") + " FROM " + table("history")
                + " WHERE schema_name = ? AND migration = ? ORDER BY id DESC LIMIT 1")) {
            ps.setString(1, schema);
            ps.setString(2, migration);
            try (ResultSet rs = ps.executeQuery()) {
                if (!rs.next()) return Optional.empty();
                Instant at = readTime(rs, 3);
                return Optional.of(rs.getString(1) + (rs.getString(2) == null ? "" : ": " + rs.getString(2))
                        + (at == null ? "" : " (at " + java.time.format.DateTimeFormatter.ofPattern("HH:mm:ss")
                        .withZone(java.time.ZoneId.systemDefault()).format(at) + ")"));
            }
        }
    }

    @Override
    public BackfillControl control(Connection c, String migration) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("SELECT backfill_paused, backfill_max_rows_per_second FROM "
                + table("migrations") + " WHERE schema_name = ? AND name = ?")) {
            ps.setString(1, schema);
            ps.setString(2, migration);
            try (ResultSet rs = ps.executeQuery()) {
                if (!rs.next()) return new BackfillControl(false, null);
                boolean paused = rs.getBoolean(1);
                int rate = rs.getInt(2);
                return new BackfillControl(paused, rs.wasNull() ? null : rate);
            }
        }
    }

    /** Staleness is judged by the database's clock, which also stamped the beats: no skew between hosts. */
    @Override
    public Optional<BackfillActivity> activity(Connection c, String migration) throws SQLException {
        if (!installed(c)) return Optional.empty();
        try (PreparedStatement ps = c.prepareStatement("SELECT backfill_status, backfill_reason, " + time("backfill_seen_at")
                + ", backfill_paused, backfill_max_rows_per_second, COALESCE(backfill_seen_at > "
                + freshSince(BACKFILL_STALE) + ", FALSE) FROM " + table("migrations") + " WHERE schema_name = ? AND name = ?")) {
            ps.setString(1, schema);
            ps.setString(2, migration);
            try (ResultSet rs = ps.executeQuery()) {
                if (!rs.next()) return Optional.empty();
                int rate = rs.getInt(5);
                Integer maxRate = rs.wasNull() ? null : rate;
                return Optional.of(BackfillActivity.asSeen(rs.getString(1), rs.getString(2), readTime(rs, 3),
                        rs.getBoolean(4), maxRate, rs.getBoolean(6)));
            }
        }
    }

    /** The running backfill's heartbeat: its process is alive. See {@link #BACKFILL_STALE}. */
    @Override
    public void beat(Connection c, String migration) throws SQLException {
        updateMigration(c, migration, "backfill_seen_at = " + now());
    }

    @Override
    public void setPaused(Connection c, String migration, boolean paused) throws SQLException {
        updateMigration(c, migration, "backfill_paused = ?", paused);
    }

    @Override
    public void setMaxRowsPerSecond(Connection c, String migration, Integer rate) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("UPDATE " + table("migrations") + " SET backfill_max_rows_per_second = ?"
                + " WHERE schema_name = ? AND name = ?")) {
            if (rate == null) ps.setNull(1, Types.INTEGER);
            else ps.setInt(1, rate);
            ps.setString(2, schema);
            ps.setString(3, migration);
            ps.executeUpdate();
        }
    }

    /** Records what the backfill is doing (running, paused, throttled, done, failed) and why. */
    @Override
    public void setActivity(Connection c, String migration, String status, String reason) throws SQLException {
        updateMigration(c, migration, "backfill_status = ?, backfill_reason = ?, backfill_seen_at = " + now(), status, reason);
    }

    @Override
    public List<BackfillState> backfills(Connection c, String migration) throws SQLException {
        List<BackfillState> result = new ArrayList<>();
        if (!installed(c)) return result;
        try (PreparedStatement ps = c.prepareStatement("SELECT table_name, " + walkColumn() + ", last_key, upper_key,"
                + " rows_done, rows_total, done, batch_size, " + time("updated_at") + " FROM " + table("backfill")
                + " AS b WHERE schema_name = ? AND migration = ? ORDER BY table_name")) {
            ps.setString(1, schema);
            ps.setString(2, migration);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    result.add(new BackfillState(rs.getString(1), BackfillState.Walk.of(rs.getString(2)),
                            readKey(rs, 3), readKey(rs, 4), rs.getLong(5), rs.getLong(6), rs.getBoolean(7), rs.getInt(8),
                            readTime(rs, 9)));
                }
            }
        }
        return result;
    }

    /** Records where a table's backfill stops; {@code upper} null: the table is empty, nothing to do. */
    @Override
    public void startBackfill(Connection c, String migration, String tableName, BackfillState.Walk walk, List<String> upper,
                              long total) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("INSERT INTO " + table("backfill")
                + " (schema_name, migration, table_name, walk, upper_key, rows_total, done, updated_at)"
                + " VALUES (?, ?, ?, ?, ?, ?, ?, " + now() + ")" + ignoreDuplicate())) {
            ps.setString(1, schema);
            ps.setString(2, migration);
            ps.setString(3, tableName);
            ps.setString(4, walk.text());
            setKey(c, ps, 5, upper);
            ps.setLong(6, total);
            ps.setBoolean(7, upper == null);
            ps.executeUpdate();
        }
    }

    /**
     * Starts a table's walk over, by key, from the first row: its pages were renumbered under a page walk, or a
     * page walk is to go on by key. Rows already filled are skipped by their done flag (reads, not writes); the
     * count starts again with the walk, so progress does not reach 100% before the walk does.
     */
    @Override
    public void walkByKeyFromStart(Connection c, String migration, String tableName, List<String> upperKey)
            throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("UPDATE " + table("backfill") + " SET walk = 'key', last_key = NULL,"
                + " upper_key = ?, done = ?, rows_done = 0, updated_at = " + now()
                + " WHERE schema_name = ? AND migration = ? AND table_name = ?")) {
            setKey(c, ps, 1, upperKey);
            ps.setBoolean(2, upperKey == null);
            ps.setString(3, schema);
            ps.setString(4, migration);
            ps.setString(5, tableName);
            ps.executeUpdate();
        }
    }

    /** Written in the same transaction as the batch it records, so a checkpoint never runs ahead of the data. */
    @Override
    public void checkpoint(Connection c, String migration, String tableName, List<String> lastKey, long rows,
                           long total, boolean done, int batchSize) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("UPDATE " + table("backfill") + " SET last_key = COALESCE(?, last_key),"
                + " rows_done = rows_done + ?, rows_total = ?, done = ?, batch_size = ?, updated_at = " + now()
                + " WHERE schema_name = ? AND migration = ? AND table_name = ?")) {
            setKey(c, ps, 1, lastKey);
            ps.setLong(2, rows);
            ps.setLong(3, total);
            ps.setBoolean(4, done);
            ps.setInt(5, batchSize);
            ps.setString(6, schema);
            ps.setString(7, migration);
            ps.setString(8, tableName);
            ps.executeUpdate();
        }
    }
}
