package dev.tandem.dialect.postgres;

import dev.tandem.dialect.Dialect;
import dev.tandem.dialect.SqlStateStore;
import dev.tandem.state.StateStore;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.sql.Timestamp;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** {@link StateStore} in PostgreSQL: tables in the state schema, backfill keys as {@code text[]}. */
public final class PostgresStateStore extends SqlStateStore {

    public PostgresStateStore(Dialect dialect, String stateSchema, String schema) {
        super(dialect, stateSchema, schema);
    }

    @Override
    protected String now() {
        return "now()";
    }

    @Override
    protected String time(String column) {
        return column;
    }

    @Override
    protected Instant readTime(ResultSet rs, int column) throws SQLException {
        Timestamp t = rs.getTimestamp(column);
        return t == null ? null : t.toInstant();
    }

    @Override
    protected String freshSince(Duration fresh) {
        return "now() - make_interval(secs => " + fresh.toMillis() / 1000.0 + ")";
    }

    @Override
    protected void setKey(Connection c, PreparedStatement ps, int index, List<String> key) throws SQLException {
        ps.setArray(index, key == null ? null : c.createArrayOf("text", key.toArray()));
    }

    @Override
    protected List<String> readKey(ResultSet rs, int column) throws SQLException {
        java.sql.Array a = rs.getArray(column);
        return a == null ? null : List.of((String[]) a.getArray());
    }

    @Override
    protected String onDuplicate(String keyColumns) {
        return " ON CONFLICT (" + keyColumns + ") DO UPDATE SET ";
    }

    @Override
    protected String inserted(String column) {
        return "EXCLUDED." + column;
    }

    @Override
    protected String ignoreDuplicate() {
        return " ON CONFLICT DO NOTHING";
    }

    /**
     * Status reads without install() (no lock, maybe a read-only role): a state schema from before the walk column
     * reads as walking by key, as its backfills did.
     */
    @Override
    protected String walkColumn() {
        return "coalesce(to_jsonb(b) ->> 'walk', 'key')";
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
            st.execute("CREATE TABLE IF NOT EXISTS " + table(LOCK_HOLDER) + " (schema_name text PRIMARY KEY,"
                    + " session_id bigint NOT NULL, command text NOT NULL, taken_at timestamptz NOT NULL)");
            st.execute("CREATE TABLE IF NOT EXISTS " + table("history") + " ("
                    + "id bigserial PRIMARY KEY, at timestamptz NOT NULL DEFAULT now(), schema_name text NOT NULL,"
                    + " migration text, phase text, event text NOT NULL, detail text)");
        }
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

    @Override
    protected boolean exists(Connection c, String stateTable) throws SQLException {
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
                            rs.getString(3), readTime(rs, 4), rs.getInt(5), false), Instance::plus);
                }
            }
        }
        // The legacy table first: a beat of the same instance and version in the new one is the newer word.
        addBeating(c, LEGACY_INSTANCES, fresh, found);
        addBeating(c, INSTANCES, fresh, found);
        return List.copyOf(found.values());
    }
}
