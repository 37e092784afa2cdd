package dev.tandem.dialect.mariadb;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tandem.dialect.Dialect;
import dev.tandem.dialect.SqlStateStore;
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
public final class MariaDbStateStore extends SqlStateStore {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String NOW = "UTC_TIMESTAMP(6)";
    /** The version of sessions in the managed database itself when no migration is complete yet. */
    static final String BEFORE_TANDEM = "(before Tandem)";
    private static final String TABLE_OPTIONS = " ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin";

    public MariaDbStateStore(Dialect dialect, String stateSchema, String schema) {
        super(dialect, stateSchema, schema);
    }

    @Override
    protected String now() {
        return NOW;
    }

    /** A stored UTC time as text that {@link Instant#parse} reads. */
    @Override
    protected String time(String column) {
        return "DATE_FORMAT(" + column + ", '%Y-%m-%dT%H:%i:%s.%fZ')";
    }

    @Override
    protected Instant readTime(ResultSet rs, int column) throws SQLException {
        String text = rs.getString(column);
        return text == null ? null : Instant.parse(text);
    }

    @Override
    protected String freshSince(Duration fresh) {
        return NOW + " - INTERVAL " + fresh.toNanos() / 1000 + " MICROSECOND";
    }

    /** A key as stored: a JSON array of text, or NULL. */
    @Override
    protected void setKey(Connection c, PreparedStatement ps, int index, List<String> key) throws SQLException {
        try {
            ps.setString(index, key == null ? null : JSON.writeValueAsString(key));
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    @Override
    protected List<String> readKey(ResultSet rs, int column) throws SQLException {
        String json = rs.getString(column);
        if (json == null) return null;
        try {
            return List.copyOf(JSON.readValue(json, new TypeReference<List<String>>() { }));
        } catch (JsonProcessingException | NullPointerException e) {
            throw new SQLException("a stored backfill key is not a JSON array of text: " + json, "22000", e);
        }
    }

    @Override
    protected String onDuplicate(String keyColumns) {
        return " ON DUPLICATE KEY UPDATE ";
    }

    /** {@code VALUES(column)}: deprecated on MySQL 8.0.20+ for a row alias, which MariaDB does not have. */
    @Override
    protected String inserted(String column) {
        return "VALUES(" + column + ")";
    }

    /** INSERT IGNORE would also hide errors other than the duplicate key; a no-op update hides only that. */
    @Override
    protected String ignoreDuplicate() {
        return " ON DUPLICATE KEY UPDATE schema_name = schema_name";
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
            st.execute("CREATE TABLE IF NOT EXISTS " + table(LOCK_HOLDER) + " (schema_name VARCHAR(64) NOT NULL,"
                    + " session_id BIGINT NOT NULL, command VARCHAR(255) NOT NULL, taken_at DATETIME(6) NOT NULL,"
                    + " PRIMARY KEY (schema_name))" + TABLE_OPTIONS);
            // Written on the primary by a backfill that watches replicas, read on them (ReplicationHeartbeat).
            st.execute("CREATE TABLE IF NOT EXISTS " + table(ReplicationHeartbeat.TABLE) + " (schema_name VARCHAR(64) NOT NULL,"
                    + " beat_at DATETIME(6) NOT NULL, PRIMARY KEY (schema_name))" + TABLE_OPTIONS);
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

    /** Compared exactly: information_schema compares names without regard to case. */
    @Override
    protected boolean exists(Connection c, String stateTable) throws SQLException {
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

    /**
     * Application instances that are alive: those whose heartbeat is younger than {@code fresh}; those whose sessions
     * are named {@code tandem:<version>:<instance>} where the Performance Schema shows names ({@link MariaDbSessions});
     * and the sessions without a name that the process list shows, by what they can only be:
     * <ul>
     * <li>a session of a login a migration named its new version's ({@code newVersionLogins}): that version;</li>
     * <li>a session whose default database is one of this schema's version databases: that version;</li>
     * <li>a session in the managed database itself, other than Tandem's own (marked, {@link
     *     MariaDbSessions#markAsTandem}): an application that uses the tables, the version before the migration in
     *     flight (the previous migration's, or {@value #BEFORE_TANDEM}) — a DBA's console there counts too;</li>
     * <li>a session an application instance marked with its version ({@link MariaDbSessions#markAsVersion}), where
     *     it idles too: that version;</li>
     * </ul>
     * A client session with no default database is no version's: it is {@linkplain #unattributedSessions
     * unattributed} (README, "MariaDB", what the contract guard sees).
     * Unnamed sessions count for the instance beating from the same host, or as {@code unnamed@<host>}, each listed by
     * connection id and login. The process list shows other logins' sessions only to a login with the PROCESS
     * privilege ({@link #unseenSessions}).
     */
    @Override
    public List<Instance> liveInstances(Connection c, Duration fresh) throws SQLException {
        Map<String, String> versionOfDatabase = new HashMap<>();
        Map<String, String> versionOfLogin = new HashMap<>();
        String previous = BEFORE_TANDEM;
        List<String> versions = new ArrayList<>();
        for (MigrationState m : all(c).values()) {
            if (m.phase() == Phase.ROLLED_BACK || m.phase() == Phase.PENDING) continue;
            versions.add(m.name());
            if (m.versionSchema() != null) versionOfDatabase.put(m.versionSchema(), m.name());
            if (m.planJson() != null) {
                for (String login : StateStore.planFromJson(m.planJson()).newVersionLogins()) versionOfLogin.put(login, m.name());
            }
            if (m.phase() == Phase.COMPLETE) previous = m.name();
        }
        Map<Long, String> marked = MariaDbSessions.markedVersions(c, versions);
        Map<List<String>, Instance> named = new LinkedHashMap<>();
        Map<List<String>, List<MariaDbSessions.Session>> unnamed = new LinkedHashMap<>();
        for (MariaDbSessions.Session s : MariaDbSessions.observed(c)) {
            if (s.tandem() || s.serverThread()) continue;
            String version = MariaDbDialect.instanceVersion(s.name());
            if (version != null) {
                String id = s.name().substring("tandem:".length() + version.length() + 1);
                named.merge(List.of(version, id), new Instance(id, version, s.host(), null, 1, false), Instance::plus);
                continue;
            }
            // Named, or an instance's of a version no migration has: its heartbeat says.
            if (s.name() != null || (s.instance() && !marked.containsKey(s.id()))) continue;
            String unnamedVersion = marked.containsKey(s.id()) ? marked.get(s.id())
                    : versionOfLogin.containsKey(s.user()) ? versionOfLogin.get(s.user())
                    : s.database() == null ? null
                    : versionOfDatabase.containsKey(s.database()) ? versionOfDatabase.get(s.database())
                    : s.database().equals(schema) ? previous : null;
            if (unnamedVersion != null) unnamed.computeIfAbsent(List.of(unnamedVersion, s.host()), k -> new ArrayList<>()).add(s);
        }
        addBeating(c, INSTANCES, fresh, named);
        for (var e : unnamed.entrySet()) {
            String version = e.getKey().get(0), host = e.getKey().get(1);
            String described = String.join(", ", e.getValue().stream().map(MariaDbSessions.Session::describe).toList());
            List<String> sameHost = named.entrySet().stream().filter(n -> n.getValue().heartbeat()
                    && n.getValue().version().equals(version) && host.equals(n.getValue().host())).map(Map.Entry::getKey)
                    .findFirst().orElse(null);
            if (sameHost != null) {
                named.put(sameHost, named.get(sameHost).withSessions(e.getValue().size(), described));
            } else {
                named.put(List.of(version, "unnamed@" + host), new Instance("unnamed@" + host, version, host, null,
                        e.getValue().size(), false, described));
            }
        }
        return List.copyOf(named.values());
    }

    /**
     * The client sessions with no default database that are not Tandem's, not an instance's (marked or named), and
     * not of a per-version login: they may use the tables by qualified names ({@code app.counters}), so they block
     * contract and rollback until they go or are ignored, though a monitoring agent or a console connects so too. All
     * logins count: whether another login may write the managed database is readable only with SELECT on the grant
     * tables, which Tandem's login need not have.
     */
    @Override
    public List<UnattributedSession> unattributedSessions(Connection c) throws SQLException {
        java.util.Set<String> versionLogins = new java.util.HashSet<>();
        for (MigrationState m : all(c).values()) {
            if (m.phase() == Phase.ROLLED_BACK || m.phase() == Phase.PENDING || m.planJson() == null) continue;
            versionLogins.addAll(StateStore.planFromJson(m.planJson()).newVersionLogins());
        }
        List<UnattributedSession> sessions = new ArrayList<>();
        for (MariaDbSessions.Session s : MariaDbSessions.observed(c)) {
            if (s.database() != null || s.tandem() || s.serverThread() || s.instance() || s.name() != null
                    || versionLogins.contains(s.user())) continue;
            sessions.add(new UnattributedSession(s.id(), s.user(), s.host(), s.seconds(), !"Sleep".equals(s.command())));
        }
        return sessions;
    }

    /**
     * Without PROCESS the process list shows this login's own sessions only ("SHOW PROCESSLIST" in the MariaDB
     * manual): every other login's application would go unseen. Read from {@code SHOW GRANTS}, roles included.
     */
    @Override
    public Optional<String> unseenSessions(Connection c) throws SQLException {
        if (MariaDbGrants.read(c, ((MariaDbDialect) dialect).flavor()).global("PROCESS")) return Optional.empty();
        String account;
        try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery("SELECT CURRENT_USER()")) {
            rs.next();
            String user = rs.getString(1);
            int at = user.lastIndexOf('@');
            account = at < 0 ? MariaDbNames.literal(user)
                    : MariaDbNames.literal(user.substring(0, at)) + "@" + MariaDbNames.literal(user.substring(at + 1));
        }
        return Optional.of("this login (" + account + ") lacks the PROCESS privilege, so the server shows it only its own"
                + " sessions and applications connected as other logins cannot be seen. A DBA runs: GRANT PROCESS ON *.* TO "
                + account + ";");
    }
}
