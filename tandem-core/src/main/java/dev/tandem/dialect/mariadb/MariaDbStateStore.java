package dev.tandem.dialect.mariadb;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
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
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * {@link StateStore} in MariaDB and MySQL: the same tables and meaning as PostgreSQL's, in a database of their own
 * (InnoDB, utf8mb4 with binary collation, so that names compare exactly as they do on PostgreSQL). Backfill keys are
 * JSON arrays of text. Times are the server's UTC clock ({@code UTC_TIMESTAMP(6)}) in {@code DATETIME(6)} columns,
 * whatever the session's time zone, and staleness is judged by that same clock: no skew between hosts, and no
 * TIMESTAMP range ending in 2038.
 */
public final class MariaDbStateStore implements StateStore {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String NOW = "UTC_TIMESTAMP(6)";
    private static final String INSTANCES = "instance_versions";
    private static final String TABLE_OPTIONS = " ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin";

    private final Dialect dialect;
    private final String stateSchema;
    private final String schema;

    public MariaDbStateStore(Dialect dialect, String stateSchema, String schema) {
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

    /** A stored UTC time as text that {@link Instant#parse} reads. */
    private static String utc(String column) {
        return "DATE_FORMAT(" + column + ", '%Y-%m-%dT%H:%i:%s.%fZ')";
    }

    private static Instant instant(ResultSet rs, int column) throws SQLException {
        String text = rs.getString(column);
        return text == null ? null : Instant.parse(text);
    }

    /** {@code UTC_TIMESTAMP(6) - INTERVAL n MICROSECOND}: the oldest time that is still fresh. */
    private static String freshSince(Duration fresh) {
        return NOW + " - INTERVAL " + fresh.toNanos() / 1000 + " MICROSECOND";
    }

    /**
     * Creates the state database and tables if they are missing. Each statement commits on its own (DDL does on
     * MariaDB), and each is idempotent, so a run stopped half-way is finished by the next.
     */
    @Override
    public void install(Connection c) throws SQLException {
        try (Statement st = c.createStatement()) {
            st.execute("CREATE DATABASE IF NOT EXISTS " + dialect.quote(stateSchema) + " CHARACTER SET utf8mb4 COLLATE utf8mb4_bin");
            st.execute("CREATE TABLE IF NOT EXISTS " + table("migrations") + " ("
                    + "schema_name VARCHAR(64) NOT NULL, name VARCHAR(255) NOT NULL, phase VARCHAR(32) NOT NULL,"
                    + " checksum VARCHAR(255) NOT NULL, file TEXT, version_schema VARCHAR(64),"
                    + " previous_version_schema VARCHAR(64), plan LONGTEXT, steps_done INT NOT NULL DEFAULT 0,"
                    + " started_at DATETIME(6), expanded_at DATETIME(6), backfilled_at DATETIME(6),"
                    + " completed_at DATETIME(6), rolled_back_at DATETIME(6), updated_at DATETIME(6) NOT NULL,"
                    + " backfill_paused BOOLEAN NOT NULL DEFAULT FALSE, backfill_max_rows_per_second INT,"
                    + " backfill_status VARCHAR(32), backfill_reason TEXT, backfill_seen_at DATETIME(6),"
                    + " PRIMARY KEY (schema_name, name))" + TABLE_OPTIONS);
            st.execute("CREATE TABLE IF NOT EXISTS " + table("backfill") + " ("
                    + "schema_name VARCHAR(64) NOT NULL, migration VARCHAR(255) NOT NULL, table_name VARCHAR(64) NOT NULL,"
                    + " walk VARCHAR(8) NOT NULL DEFAULT 'key', last_key LONGTEXT, upper_key LONGTEXT,"
                    + " rows_done BIGINT NOT NULL DEFAULT 0, rows_total BIGINT, done BOOLEAN NOT NULL DEFAULT FALSE,"
                    + " batch_size INT, updated_at DATETIME(6) NOT NULL,"
                    + " PRIMARY KEY (schema_name, migration, table_name))" + TABLE_OPTIONS);
            installInstances(st);
            st.execute("CREATE TABLE IF NOT EXISTS " + table("history") + " ("
                    + "id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY, at DATETIME(6) NOT NULL, schema_name VARCHAR(64) NOT NULL,"
                    + " migration VARCHAR(255), phase VARCHAR(32), event VARCHAR(255) NOT NULL, detail LONGTEXT)" + TABLE_OPTIONS);
        }
    }

    private void installInstances(Statement st) throws SQLException {
        // One row per instance id and version: in a rolling restart one node id runs the old version (draining) and
        // the new one at once, and both must show, and count for the contract guard.
        st.execute("CREATE TABLE IF NOT EXISTS " + table(INSTANCES) + " (instance_id VARCHAR(255) NOT NULL,"
                + " schema_name VARCHAR(64) NOT NULL, version VARCHAR(255) NOT NULL, host VARCHAR(255), pid BIGINT,"
                + " started_at DATETIME(6) NOT NULL, last_seen DATETIME(6) NOT NULL,"
                + " PRIMARY KEY (instance_id, version))" + TABLE_OPTIONS);
    }

    @Override
    public boolean installed(Connection c) throws SQLException {
        return exists(c, "migrations");
    }

    /** Compared exactly: information_schema compares names without regard to case. */
    private boolean exists(Connection c, String stateTable) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("SELECT TABLE_SCHEMA, TABLE_NAME, @@lower_case_table_names"
                + " FROM information_schema.TABLES WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ?")) {
            ps.setString(1, stateSchema);
            ps.setString(2, stateTable);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    if (rs.getInt(3) != 0 || (rs.getString(1).equals(stateSchema) && rs.getString(2).equals(stateTable))) {
                        return true;
                    }
                }
                return false;
            }
        }
    }

    /**
     * The state database and its instances table only. CREATE DATABASE IF NOT EXISTS needs the CREATE privilege on
     * the database even where it exists, which an application's login granted only the table may not have: only
     * when it is missing.
     */
    @Override
    public void installHeartbeat(Connection c) throws SQLException {
        try (Statement st = c.createStatement()) {
            if (!dialect.schemaExists(c, stateSchema)) {
                st.execute("CREATE DATABASE IF NOT EXISTS " + dialect.quote(stateSchema) + " CHARACTER SET utf8mb4 COLLATE utf8mb4_bin");
            }
            installInstances(st);
        }
    }

    @Override
    public void heartbeat(Connection c, String instanceId, String version, String host, long pid) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("INSERT INTO " + table(INSTANCES)
                + " (instance_id, schema_name, version, host, pid, started_at, last_seen) VALUES (?, ?, ?, ?, ?, " + NOW + ", " + NOW + ")"
                + " ON DUPLICATE KEY UPDATE last_seen = " + NOW + ", schema_name = VALUES(schema_name),"
                + " host = VALUES(host), pid = VALUES(pid)")) {
            ps.setString(1, instanceId);
            ps.setString(2, schema);
            ps.setString(3, version);
            ps.setString(4, host);
            ps.setLong(5, pid);
            ps.executeUpdate();
        }
    }

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
     * Application instances that are alive: those whose heartbeat is younger than {@code fresh}; those whose sessions
     * are named {@code tandem:<version>:<instance>} where the Performance Schema shows names ({@link MariaDbSessions});
     * and sessions whose default database is one of this schema's version databases, which can only be that version's
     * (unnamed, they count for the instance beating from the same host, or as {@code unnamed@<host>}). The process
     * list shows other logins' sessions only to a login with the PROCESS privilege.
     */
    @Override
    public List<Instance> liveInstances(Connection c, Duration fresh) throws SQLException {
        Map<String, String> versionOfDatabase = new HashMap<>();
        all(c).values().forEach(m -> {
            if (m.versionSchema() != null) versionOfDatabase.put(m.versionSchema(), m.name());
        });
        Map<List<String>, Instance> named = new LinkedHashMap<>();
        Map<List<String>, Integer> unnamed = new LinkedHashMap<>();
        for (MariaDbSessions.Session s : MariaDbSessions.visible(c)) {
            String version = MariaDbDialect.instanceVersion(s.name());
            if (version != null) {
                String id = s.name().substring("tandem:".length() + version.length() + 1);
                named.merge(List.of(version, id), new Instance(id, version, s.host(), null, 1, false), Instance::plus);
            } else if (s.name() == null && s.database() != null && versionOfDatabase.containsKey(s.database())) {
                unnamed.merge(List.of(versionOfDatabase.get(s.database()), s.host()), 1, Integer::sum);
            }
        }
        if (exists(c, INSTANCES)) {
            try (PreparedStatement ps = c.prepareStatement("SELECT instance_id, version, host, " + utc("last_seen")
                    + " FROM " + table(INSTANCES) + " WHERE schema_name = ? AND last_seen > " + freshSince(fresh)
                    + " ORDER BY instance_id, version")) {
                ps.setString(1, schema);
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        List<String> key = List.of(rs.getString(2), rs.getString(1));
                        Instance seen = named.get(key);
                        named.put(key, new Instance(rs.getString(1), rs.getString(2), rs.getString(3), instant(rs, 4),
                                seen == null ? 0 : seen.connections(), true));
                    }
                }
            }
        }
        for (var e : unnamed.entrySet()) {
            String version = e.getKey().get(0), host = e.getKey().get(1);
            List<String> beating = named.entrySet().stream().filter(n -> n.getValue().heartbeat()
                    && n.getValue().version().equals(version) && host.equals(n.getValue().host())).map(Map.Entry::getKey)
                    .findFirst().orElse(null);
            if (beating != null) {
                Instance i = named.get(beating);
                named.put(beating, new Instance(i.id(), i.version(), i.host(), i.lastSeen(), i.connections() + e.getValue(), true));
            } else {
                named.put(List.of(version, "unnamed@" + host), new Instance("unnamed@" + host, version, host, null, e.getValue(), false));
            }
        }
        return List.copyOf(named.values());
    }

    @Override
    public Map<String, MigrationState> all(Connection c) throws SQLException {
        Map<String, MigrationState> states = new LinkedHashMap<>();
        if (!installed(c)) return states;
        try (PreparedStatement ps = c.prepareStatement("SELECT name, phase, checksum, file, version_schema,"
                + " previous_version_schema, plan, steps_done, " + utc("started_at") + ", " + utc("expanded_at") + ", "
                + utc("backfilled_at") + ", " + utc("completed_at") + ", " + utc("rolled_back_at")
                + " FROM " + table("migrations") + " WHERE schema_name = ? ORDER BY name")) {
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

    private static final String CLEAR_BACKFILL_CONTROL = "backfill_paused = FALSE, backfill_max_rows_per_second = NULL,"
            + " backfill_status = NULL, backfill_reason = NULL, backfill_seen_at = NULL";

    @Override
    public void begin(Connection c, String name, String checksum, String file, Plan plan) throws SQLException {
        // One transaction: a process killed between the two would leave the new expand the checkpoints of the
        // backfill before the rollback. (The migration's row first, as every writer of both tables locks them in
        // that order, so that they never deadlock.)
        boolean auto = c.getAutoCommit();
        c.setAutoCommit(false);
        try {
            try (PreparedStatement ps = c.prepareStatement("INSERT INTO " + table("migrations")
                    + " (schema_name, name, phase, checksum, file, version_schema, previous_version_schema, plan, steps_done,"
                    + " started_at, updated_at) VALUES (?, ?, 'expanding', ?, ?, ?, ?, ?, 0, " + NOW + ", " + NOW + ")"
                    + " ON DUPLICATE KEY UPDATE phase = 'expanding', checksum = VALUES(checksum), file = VALUES(file),"
                    + " version_schema = VALUES(version_schema), previous_version_schema = VALUES(previous_version_schema),"
                    + " plan = VALUES(plan), steps_done = 0, started_at = " + NOW + ", expanded_at = NULL,"
                    + " backfilled_at = NULL, completed_at = NULL, rolled_back_at = NULL, updated_at = " + NOW + ", "
                    + CLEAR_BACKFILL_CONTROL)) {
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

    @Override
    public void setPhase(Connection c, String name, Phase phase) throws SQLException {
        String stamp = switch (phase) {
            case EXPANDED -> ", expanded_at = " + NOW;
            case BACKFILLED -> ", backfilled_at = " + NOW;
            case COMPLETE -> ", completed_at = " + NOW;
            // Pause, rate limit and activity belong to this migration's one backfill, which a rollback ends.
            case ROLLED_BACK -> ", rolled_back_at = " + NOW + ", " + CLEAR_BACKFILL_CONTROL;
            default -> "";
        };
        updateMigration(c, name, "phase = ?, steps_done = 0, updated_at = " + NOW + stamp, phase.text);
    }

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

    @Override
    public void setStepsDone(Connection c, String name, int done) throws SQLException {
        updateMigration(c, name, "steps_done = ?, updated_at = " + NOW, done);
    }

    @Override
    public void history(Connection c, String migration, String phase, String event, String detail) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("INSERT INTO " + table("history")
                + " (at, schema_name, migration, phase, event, detail) VALUES (" + NOW + ", ?, ?, ?, ?, ?)")) {
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
        try (PreparedStatement ps = c.prepareStatement("SELECT backfill_status, backfill_reason, " + utc("backfill_seen_at")
                + ", backfill_paused, backfill_max_rows_per_second, IFNULL(backfill_seen_at > " + freshSince(BACKFILL_STALE)
                + ", FALSE) FROM " + table("migrations") + " WHERE schema_name = ? AND name = ?")) {
            ps.setString(1, schema);
            ps.setString(2, migration);
            try (ResultSet rs = ps.executeQuery()) {
                if (!rs.next()) return Optional.empty();
                int rate = rs.getInt(5);
                Integer maxRate = rs.wasNull() ? null : rate;
                return Optional.of(BackfillActivity.asSeen(rs.getString(1), rs.getString(2), instant(rs, 3),
                        rs.getBoolean(4), maxRate, rs.getBoolean(6)));
            }
        }
    }

    @Override
    public void beat(Connection c, String migration) throws SQLException {
        updateMigration(c, migration, "backfill_seen_at = " + NOW);
    }

    @Override
    public void setPaused(Connection c, String migration, boolean paused) throws SQLException {
        updateMigration(c, migration, "backfill_paused = ?", paused);
    }

    @Override
    public void setMaxRowsPerSecond(Connection c, String migration, Integer rate) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("UPDATE " + table("migrations") + " SET backfill_max_rows_per_second = ?"
                + " WHERE schema_name = ? AND name = ?")) {
            if (rate == null) ps.setNull(1, java.sql.Types.INTEGER);
            else ps.setInt(1, rate);
            ps.setString(2, schema);
            ps.setString(3, migration);
            ps.executeUpdate();
        }
    }

    @Override
    public void setActivity(Connection c, String migration, String status, String reason) throws SQLException {
        updateMigration(c, migration, "backfill_status = ?, backfill_reason = ?, backfill_seen_at = " + NOW, status, reason);
    }

    @Override
    public List<BackfillState> backfills(Connection c, String migration) throws SQLException {
        List<BackfillState> result = new ArrayList<>();
        if (!installed(c)) return result;
        try (PreparedStatement ps = c.prepareStatement("SELECT table_name, walk, last_key, upper_key, rows_done, rows_total,"
                + " done, batch_size, " + utc("updated_at") + " FROM " + table("backfill")
                + " WHERE schema_name = ? AND migration = ? ORDER BY table_name")) {
            ps.setString(1, schema);
            ps.setString(2, migration);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    result.add(new BackfillState(rs.getString(1), BackfillState.Walk.of(rs.getString(2)),
                            keys(rs.getString(3)), keys(rs.getString(4)), rs.getLong(5), rs.getLong(6),
                            rs.getBoolean(7), rs.getInt(8), instant(rs, 9)));
                }
            }
        }
        return result;
    }

    /** A key as stored: a JSON array of text, or NULL. */
    private static String json(List<String> key) {
        if (key == null) return null;
        try {
            return JSON.writeValueAsString(key);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    private static List<String> keys(String json) throws SQLException {
        if (json == null) return null;
        try {
            return List.copyOf(JSON.readValue(json, new TypeReference<List<String>>() { }));
        } catch (JsonProcessingException | NullPointerException e) {
            throw new SQLException("a stored backfill key is not a JSON array of text: " + json, "22000", e);
        }
    }

    @Override
    public void startBackfill(Connection c, String migration, String tableName, BackfillState.Walk walk, List<String> upper,
                              long total) throws SQLException {
        // INSERT IGNORE would also hide errors other than the duplicate key; a no-op update hides only that.
        try (PreparedStatement ps = c.prepareStatement("INSERT INTO " + table("backfill")
                + " (schema_name, migration, table_name, walk, upper_key, rows_total, done, updated_at)"
                + " VALUES (?, ?, ?, ?, ?, ?, ?, " + NOW + ") ON DUPLICATE KEY UPDATE schema_name = schema_name")) {
            ps.setString(1, schema);
            ps.setString(2, migration);
            ps.setString(3, tableName);
            ps.setString(4, walk.text());
            ps.setString(5, json(upper));
            ps.setLong(6, total);
            ps.setBoolean(7, upper == null);
            ps.executeUpdate();
        }
    }

    @Override
    public void walkByKeyFromStart(Connection c, String migration, String tableName, List<String> upperKey)
            throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("UPDATE " + table("backfill") + " SET walk = 'key', last_key = NULL,"
                + " upper_key = ?, done = ?, rows_done = 0, updated_at = " + NOW
                + " WHERE schema_name = ? AND migration = ? AND table_name = ?")) {
            ps.setString(1, json(upperKey));
            ps.setBoolean(2, upperKey == null);
            ps.setString(3, schema);
            ps.setString(4, migration);
            ps.setString(5, tableName);
            ps.executeUpdate();
        }
    }

    @Override
    public void checkpoint(Connection c, String migration, String tableName, List<String> lastKey, long rows,
                           long total, boolean done, int batchSize) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("UPDATE " + table("backfill") + " SET last_key = IFNULL(?, last_key),"
                + " rows_done = rows_done + ?, rows_total = ?, done = ?, batch_size = ?, updated_at = " + NOW
                + " WHERE schema_name = ? AND migration = ? AND table_name = ?")) {
            ps.setString(1, json(lastKey));
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
