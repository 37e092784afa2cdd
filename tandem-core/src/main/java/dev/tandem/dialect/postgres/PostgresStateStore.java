package dev.tandem.dialect.postgres;

import dev.tandem.dialect.Dialect;
import dev.tandem.engine.Plan;
import dev.tandem.state.BackfillState;
import dev.tandem.state.MigrationState;
import dev.tandem.state.Phase;
import dev.tandem.state.StateStore;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** {@link StateStore} in PostgreSQL: tables in the state schema, backfill keys as {@code text[]}. */
public final class PostgresStateStore implements StateStore {

    private final Dialect dialect;
    private final String stateSchema;
    private final String schema;

    public PostgresStateStore(Dialect dialect, String stateSchema, String schema) {
        this.dialect = dialect;
        this.stateSchema = stateSchema;
        this.schema = schema;
    }

    @Override
    public String stateSchema() {
        return stateSchema;
    }

    private String table(String name) {
        return dialect.qualify(stateSchema, name);
    }

    /** Creates the state schema and tables if they are missing; safe to run any number of times. */
    @Override
    public void install(Connection c) throws SQLException {
        try (Statement st = c.createStatement()) {
            st.execute("CREATE SCHEMA IF NOT EXISTS " + dialect.quote(stateSchema));
            st.execute("CREATE TABLE IF NOT EXISTS " + table("migrations") + " ("
                    + "schema_name text NOT NULL, name text NOT NULL, phase text NOT NULL, checksum text NOT NULL,"
                    + " file text, version_schema text, previous_version_schema text, plan text,"
                    + " steps_done integer NOT NULL DEFAULT 0, started_at timestamptz, expanded_at timestamptz,"
                    + " backfilled_at timestamptz, completed_at timestamptz, rolled_back_at timestamptz,"
                    + " updated_at timestamptz NOT NULL DEFAULT now(), PRIMARY KEY (schema_name, name))");
            st.execute("CREATE TABLE IF NOT EXISTS " + table("backfill") + " ("
                    + "schema_name text NOT NULL, migration text NOT NULL, table_name text NOT NULL,"
                    + " last_key text[], upper_key text[], rows_done bigint NOT NULL DEFAULT 0, rows_total bigint,"
                    + " done boolean NOT NULL DEFAULT false, batch_size integer, updated_at timestamptz NOT NULL DEFAULT now(),"
                    + " PRIMARY KEY (schema_name, migration, table_name))");
            // Live control of a running backfill and what it is doing now; added by ALTER so older installs get them.
            // Only when missing: ALTER TABLE takes ACCESS EXCLUSIVE even when every column exists, and every command
            // would then wait behind anyone reading the state (or block a status that reads it).
            if (!hasColumn(c, "migrations", "backfill_seen_at")) {
                st.execute("ALTER TABLE " + table("migrations") + " ADD COLUMN IF NOT EXISTS backfill_paused boolean NOT NULL DEFAULT false,"
                        + " ADD COLUMN IF NOT EXISTS backfill_max_rows_per_second integer,"
                        + " ADD COLUMN IF NOT EXISTS backfill_status text, ADD COLUMN IF NOT EXISTS backfill_reason text,"
                        + " ADD COLUMN IF NOT EXISTS backfill_seen_at timestamptz");
            }
            // Backfills started before page walks existed walked the key, and carry on that way.
            if (!hasColumn(c, "backfill", "walk")) {
                st.execute("ALTER TABLE " + table("backfill") + " ADD COLUMN IF NOT EXISTS walk text NOT NULL DEFAULT 'key'");
            }
            installInstances(st);
            // Older client libraries (a rolling upgrade runs them next to new ones) beat into this table.
            st.execute("CREATE TABLE IF NOT EXISTS " + table(LEGACY_INSTANCES) + " (instance_id text PRIMARY KEY,"
                    + " schema_name text NOT NULL, version text NOT NULL, host text, pid bigint,"
                    + " started_at timestamptz NOT NULL DEFAULT now(), last_seen timestamptz NOT NULL DEFAULT now())");
            st.execute("CREATE TABLE IF NOT EXISTS " + table("history") + " ("
                    + "id bigserial PRIMARY KEY, at timestamptz NOT NULL DEFAULT now(), schema_name text NOT NULL,"
                    + " migration text, phase text, event text NOT NULL, detail text)");
        }
    }

    /** Whether the state tables exist; read-only commands treat a database without them as having no history. */
    @Override
    public boolean installed(Connection c) throws SQLException {
        return exists(c, "migrations");
    }

    private boolean hasColumn(Connection c, String stateTable, String column) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("SELECT EXISTS (SELECT 1 FROM pg_attribute WHERE attrelid = to_regclass(?)"
                + " AND attname = ? AND NOT attisdropped)")) {
            ps.setString(1, table(stateTable));
            ps.setString(2, column);
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                return rs.getBoolean(1);
            }
        }
    }

    private boolean exists(Connection c, String stateTable) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("SELECT to_regclass(?) IS NOT NULL")) {
            ps.setString(1, table(stateTable));
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                return rs.getBoolean(1);
            }
        }
    }

    /**
     * One row per instance id and version: in a rolling restart the same node id runs the old version (draining)
     * and the new one at once, and both must show, and count for the contract guard. Tandem before this kept one row
     * per id ({@value #LEGACY_INSTANCES}, where a beat of one version overwrote the other's); re-keying that table
     * would break the beats of the older libraries still running, so it stays, and is read too.
     */
    private static final String INSTANCES = "instance_versions";
    private static final String LEGACY_INSTANCES = "instances";

    private void installInstances(Statement st) throws SQLException {
        st.execute("CREATE TABLE IF NOT EXISTS " + table(INSTANCES) + " (instance_id text NOT NULL,"
                + " schema_name text NOT NULL, version text NOT NULL, host text, pid bigint,"
                + " started_at timestamptz NOT NULL DEFAULT now(), last_seen timestamptz NOT NULL DEFAULT now(),"
                + " PRIMARY KEY (instance_id, version))");
    }

    /**
     * What {@link #heartbeat} needs: the state schema and its instances table, and nothing else of Tandem's state, so
     * that an application may start before Tandem ever ran. Creating what exists takes no lock on it.
     */
    @Override
    public void installHeartbeat(Connection c) throws SQLException {
        boolean schemaMissing;
        try (PreparedStatement ps = c.prepareStatement("SELECT to_regnamespace(?) IS NULL")) {
            ps.setString(1, dialect.quote(stateSchema));
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                schemaMissing = rs.getBoolean(1);
            }
        }
        try (Statement st = c.createStatement()) {
            // Even with IF NOT EXISTS, CREATE SCHEMA needs the database's CREATE privilege, which a role granted
            // CREATE on an existing state schema only does not have.
            if (schemaMissing) st.execute("CREATE SCHEMA IF NOT EXISTS " + dialect.quote(stateSchema));
            installInstances(st);
        }
    }

    /** An application instance says it is alive and which version it runs; see {@link #installHeartbeat}. */
    @Override
    public void heartbeat(Connection c, String instanceId, String version, String host, long pid) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("INSERT INTO " + table(INSTANCES)
                + " (instance_id, schema_name, version, host, pid) VALUES (?, ?, ?, ?, ?)"
                + " ON CONFLICT (instance_id, version) DO UPDATE SET last_seen = now(), schema_name = EXCLUDED.schema_name,"
                + " host = EXCLUDED.host, pid = EXCLUDED.pid")) {
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
        try (PreparedStatement ps = c.prepareStatement("DELETE FROM " + table(INSTANCES)
                + " WHERE instance_id = ? AND version = ?")) {
            ps.setString(1, instanceId);
            ps.setString(2, version);
            ps.executeUpdate();
        }
    }

    /**
     * Application instances that are alive: those with connections whose application_name says
     * {@code tandem:<version>:<instance>}, and those whose heartbeat is younger than {@code fresh}.
     */
    @Override
    public List<Instance> liveInstances(Connection c, java.time.Duration fresh) throws SQLException {
        Map<List<String>, Instance> found = new LinkedHashMap<>();
        try (PreparedStatement ps = c.prepareStatement("""
                SELECT split_part(application_name, ':', 2), substr(application_name, length(split_part(application_name, ':', 2)) + 9),
                       coalesce(client_addr::text, client_hostname, 'local'), max(state_change), count(*)
                FROM pg_stat_activity WHERE application_name LIKE 'tandem:%:%' AND pid <> pg_backend_pid()
                GROUP BY 1, 2, 3""")) {
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    // Keyed by version and id: one node id on two versions (a rolling restart) is two instances.
                    // The same pair from two client addresses adds up.
                    found.merge(List.of(rs.getString(1), rs.getString(2)), new Instance(rs.getString(2), rs.getString(1),
                            rs.getString(3), instant(rs, 4), rs.getInt(5), false), Instance::plus);
                }
            }
        }
        // The legacy table first: a beat of the same instance and version in the new one is the newer word.
        for (String heartbeats : List.of(LEGACY_INSTANCES, INSTANCES)) {
            if (!exists(c, heartbeats)) continue;
            try (PreparedStatement ps = c.prepareStatement("SELECT instance_id, version, host, last_seen FROM " + table(heartbeats)
                    + " WHERE schema_name = ? AND last_seen > now() - make_interval(secs => ?) ORDER BY instance_id, version")) {
                ps.setString(1, schema);
                ps.setDouble(2, fresh.toMillis() / 1000.0);
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        List<String> key = List.of(rs.getString(2), rs.getString(1));
                        Instance seen = found.get(key);
                        found.put(key, new Instance(rs.getString(1), rs.getString(2), rs.getString(3),
                                instant(rs, 4), seen == null ? 0 : seen.connections(), true));
                    }
                }
            }
        }
        return List.copyOf(found.values());
    }

    @Override
    public Map<String, MigrationState> all(Connection c) throws SQLException {
        Map<String, MigrationState> states = new LinkedHashMap<>();
        if (!installed(c)) return states;
        try (PreparedStatement ps = c.prepareStatement("SELECT name, phase, checksum, file, version_schema,"
                + " previous_version_schema, plan, steps_done, started_at, expanded_at, backfilled_at, completed_at,"
                + " rolled_back_at FROM " + table("migrations") + " WHERE schema_name = ? ORDER BY name")) {
            ps.setString(1, schema);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    MigrationState s = new MigrationState(rs.getString(1), Phase.of(rs.getString(2)), rs.getString(3),
                            rs.getString(4), rs.getString(5), rs.getString(6), rs.getString(7), rs.getInt(8),
                            instant(rs, 9), instant(rs, 10), instant(rs, 11), instant(rs, 12), instant(rs, 13));
                    states.put(s.name(), s);
                }
            }
        }
        return states;
    }

    private static Instant instant(ResultSet rs, int column) throws SQLException {
        Timestamp t = rs.getTimestamp(column);
        return t == null ? null : t.toInstant();
    }

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
                    + " (schema_name, name, phase, checksum, file, version_schema, previous_version_schema, plan, steps_done, started_at)"
                    + " VALUES (?, ?, 'expanding', ?, ?, ?, ?, ?, 0, now())"
                    + " ON CONFLICT (schema_name, name) DO UPDATE SET phase = 'expanding', checksum = EXCLUDED.checksum,"
                    + " file = EXCLUDED.file, version_schema = EXCLUDED.version_schema,"
                    + " previous_version_schema = EXCLUDED.previous_version_schema, plan = EXCLUDED.plan, steps_done = 0,"
                    + " started_at = now(), expanded_at = NULL, backfilled_at = NULL, completed_at = NULL,"
                    + " rolled_back_at = NULL, updated_at = now(), " + CLEAR_BACKFILL_CONTROL)) {
                ps.setString(1, schema);
                ps.setString(2, name);
                ps.setString(3, checksum);
                ps.setString(4, file);
                ps.setString(5, plan.versionSchema());
                ps.setString(6, plan.previousVersionSchema());
                ps.setString(7, StateStore.toJson(plan));
                ps.executeUpdate();
            }
            try (PreparedStatement ps = c.prepareStatement("DELETE FROM " + table("backfill") + " WHERE schema_name = ? AND migration = ?")) {
                ps.setString(1, schema);
                ps.setString(2, name);
                ps.executeUpdate();
            }
            c.commit();
        } catch (SQLException | RuntimeException e) {
            c.rollback();
            throw e;
        } finally {
            c.setAutoCommit(auto);
        }
    }

    /** Forgets a migration's backfill checkpoints, so that its next backfill walks every table from the start. */
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
            case EXPANDED -> ", expanded_at = now()";
            case BACKFILLED -> ", backfilled_at = now()";
            case COMPLETE -> ", completed_at = now()";
            // Pause, rate limit and activity belong to this migration's one backfill, which a rollback ends: an
            // expand after it starts a backfill of its own, neither paused nor limited by the old one's settings.
            case ROLLED_BACK -> ", rolled_back_at = now(), " + CLEAR_BACKFILL_CONTROL;
            default -> "";
        };
        updateMigration(c, name, "phase = ?, steps_done = 0, updated_at = now()" + stamp, phase.text);
    }

    private static final String CLEAR_BACKFILL_CONTROL = "backfill_paused = false, backfill_max_rows_per_second = NULL,"
            + " backfill_status = NULL, backfill_reason = NULL, backfill_seen_at = NULL";

    /** {@code UPDATE migrations SET <assignments>} for one migration; {@code values} fill the assignments' markers. */
    private void updateMigration(Connection c, String migration, String assignments, Object... values) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("UPDATE " + table("migrations") + " SET " + assignments
                + " WHERE schema_name = ? AND name = ?")) {
            int i = 1;
            for (Object v : values) ps.setObject(i++, v);
            ps.setString(i++, schema);
            ps.setString(i, migration);
            ps.executeUpdate();
        }
    }

    /** The checkpoint of a phase: how many of its steps are done. Written in the step's own transaction where it has one. */
    @Override
    public void setStepsDone(Connection c, String name, int done) throws SQLException {
        updateMigration(c, name, "steps_done = ?, updated_at = now()", done);
    }

    @Override
    public void history(Connection c, String migration, String phase, String event, String detail) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("INSERT INTO " + table("history")
                + " (schema_name, migration, phase, event, detail) VALUES (?, ?, ?, ?, ?)")) {
            ps.setString(1, schema);
            ps.setString(2, migration);
            ps.setString(3, phase);
            ps.setString(4, event);
            ps.setString(5, detail);
            ps.executeUpdate();
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

    @Override
    public Optional<BackfillActivity> activity(Connection c, String migration) throws SQLException {
        if (!installed(c)) return Optional.empty();
        try (PreparedStatement ps = c.prepareStatement("SELECT backfill_status, backfill_reason, backfill_seen_at,"
                + " backfill_paused, backfill_max_rows_per_second,"
                + " coalesce(backfill_seen_at > now() - make_interval(secs => ?), false) FROM " + table("migrations")
                + " WHERE schema_name = ? AND name = ?")) {
            ps.setDouble(1, BACKFILL_STALE.toMillis() / 1000.0);
            ps.setString(2, schema);
            ps.setString(3, migration);
            try (ResultSet rs = ps.executeQuery()) {
                if (!rs.next()) return Optional.empty();
                int rate = rs.getInt(5);
                Integer maxRate = rs.wasNull() ? null : rate;
                return Optional.of(BackfillActivity.asSeen(rs.getString(1), rs.getString(2), instant(rs, 3),
                        rs.getBoolean(4), maxRate, rs.getBoolean(6)));
            }
        }
    }


    /** The running backfill's heartbeat: its process is alive. See {@link #BACKFILL_STALE}. */
    @Override
    public void beat(Connection c, String migration) throws SQLException {
        updateMigration(c, migration, "backfill_seen_at = now()");
    }

    @Override
    public void setPaused(Connection c, String migration, boolean paused) throws SQLException {
        updateMigration(c, migration, "backfill_paused = ?", paused);
    }

    @Override
    public void setMaxRowsPerSecond(Connection c, String migration, Integer rate) throws SQLException {
        updateMigration(c, migration, "backfill_max_rows_per_second = ?::integer", rate);
    }

    /** Records what the backfill is doing (running, paused, throttled, done, failed) and why. */
    @Override
    public void setActivity(Connection c, String migration, String status, String reason) throws SQLException {
        updateMigration(c, migration, "backfill_status = ?, backfill_reason = ?, backfill_seen_at = now()", status, reason);
    }

    @Override
    public List<BackfillState> backfills(Connection c, String migration) throws SQLException {
        List<BackfillState> result = new ArrayList<>();
        if (!installed(c)) return result;
        // Status reads without install() (no lock, maybe a read-only role): a state schema from before the walk
        // column reads as walking by key, as its backfills did.
        try (PreparedStatement ps = c.prepareStatement("SELECT table_name, coalesce(to_jsonb(b) ->> 'walk', 'key'), last_key,"
                + " upper_key, rows_done, rows_total, done, batch_size, updated_at FROM " + table("backfill")
                + " AS b WHERE schema_name = ? AND migration = ? ORDER BY table_name")) {
            ps.setString(1, schema);
            ps.setString(2, migration);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    result.add(new BackfillState(rs.getString(1), BackfillState.Walk.of(rs.getString(2)),
                            strings(rs.getArray(3)), strings(rs.getArray(4)), rs.getLong(5), rs.getLong(6),
                            rs.getBoolean(7), rs.getInt(8), instant(rs, 9)));
                }
            }
        }
        return result;
    }

    private static List<String> strings(java.sql.Array a) throws SQLException {
        return a == null ? null : List.of((String[]) a.getArray());
    }

    /** Records where a table's backfill stops; {@code upper} null: the table is empty, nothing to do. */
    @Override
    public void startBackfill(Connection c, String migration, String tableName, BackfillState.Walk walk, List<String> upper,
                              long total) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("INSERT INTO " + table("backfill")
                + " (schema_name, migration, table_name, walk, upper_key, rows_total, done) VALUES (?, ?, ?, ?, ?, ?, ?)"
                + " ON CONFLICT DO NOTHING")) {
            ps.setString(1, schema);
            ps.setString(2, migration);
            ps.setString(3, tableName);
            ps.setString(4, walk.text());
            ps.setArray(5, upper == null ? null : c.createArrayOf("text", upper.toArray()));
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
                + " upper_key = ?, done = ?, rows_done = 0, updated_at = now() WHERE schema_name = ? AND migration = ? AND table_name = ?")) {
            ps.setArray(1, upperKey == null ? null : c.createArrayOf("text", upperKey.toArray()));
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
        try (PreparedStatement ps = c.prepareStatement("UPDATE " + table("backfill") + " SET last_key = coalesce(?, last_key),"
                + " rows_done = rows_done + ?, rows_total = ?, done = ?, batch_size = ?, updated_at = now()"
                + " WHERE schema_name = ? AND migration = ? AND table_name = ?")) {
            ps.setArray(1, lastKey == null ? null : c.createArrayOf("text", lastKey.toArray()));
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
