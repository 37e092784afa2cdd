package dev.tandem.dialect.mariadb;

import dev.tandem.dialect.Dialect.Command;
import dev.tandem.dialect.Dialect.ServerNeeds;
import dev.tandem.dialect.Dialect.ServerProblem;
import dev.tandem.dialect.Dialect.ServerReport;

import dev.tandem.engine.Names;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static dev.tandem.dialect.mariadb.MariaDbSqlText.literal;
import static dev.tandem.dialect.mariadb.MariaDbSqlText.quote;

/**
 * What Tandem needs of a MariaDB or MySQL server and of its login before expand (README, "MariaDB: what Tandem needs
 * from the server"), read without changing anything, every problem at once with the statement a DBA runs:
 * <ul>
 * <li>the server version: MariaDB 10.11 or later (what Tandem is built and tested on), MySQL 8.0.32 or later (instant
 * ADD and DROP COLUMN at any position came in 8.0.29 with crash and corruption bugs fixed up to 8.0.32);</li>
 * <li>with the binary log on: {@code binlog_format=ROW} (under STATEMENT or MIXED a sync trigger runs again on every
 * replica, with the replication thread's view of who wrote); and, when the plan has sync triggers, SUPER or
 * {@code log_bin_trust_function_creators=1} (else CREATE and DROP TRIGGER fail with 1419, "Binary Logging of Stored
 * Routines" in the MariaDB manual; no finer privilege helps on 10.11);</li>
 * <li>privileges on the database, the version databases and the state database ({@link MariaDbGrants});</li>
 * <li>every table the migration changes is InnoDB and has a primary key or a unique index over NOT NULL columns;</li>
 * <li>on a Galera node, {@code wsrep_OSU_method=TOI} and instant statements only ({@link Galera}), with a warning.</li>
 * </ul>
 * Not checked: privileges that reach Tandem through a role that is granted but not enabled, grants on single tables
 * (every table gets a view in the version database, so Tandem needs its privileges on the whole database), and on
 * MySQL the privileges of its roles, which SHOW GRANTS does not expand there.
 */
public final class MariaDbServerCheck {
    private static final Pattern VERSION = Pattern.compile("^(\\d+)\\.(\\d+)\\.(\\d+)");

    /**
     * The privileges Tandem needs on the migrated database, each with why (their order is the GRANT's). MariaDB's
     * ALTER TABLE, ADD INDEX and DROP INDEX included, needs ALTER alone (measured on 11.4: MariaDbServerCheckTest),
     * MySQL's ALTER, CREATE and INSERT ("ALTER TABLE Statement" in the MySQL manual).
     */
    private static final Map<String, String> ON_DATABASE = ordered(
            "SELECT", "to read rows for the backfill and the version database's views",
            "UPDATE", "for the backfill",
            "CREATE", "to create tables",
            "DROP", "to drop tables",
            "ALTER", "to add and drop columns and indexes");
    private static final String MYSQL_INSERT_WHY = "MySQL's ALTER TABLE needs it";
    private static final String TRIGGER_WHY = "to create and drop the sync triggers";
    /** Where plan tries the migration's column types: a temporary table in the session's default database. */
    private static final String TEMPORARY = "CREATE TEMPORARY TABLES";
    private static final String TEMPORARY_WHY = "plan tries the migration's column types in a temporary table";
    private static final Map<String, String> ON_VERSION_DATABASE = ordered(
            "SELECT", "verify and contract read the new version's rows through its views",
            "CREATE", "to create the version database",
            "DROP", "CREATE OR REPLACE VIEW needs it, and contract and rollback drop the version database",
            "CREATE VIEW", "for its views",
            "SHOW VIEW", "contract and rollback read the views' definitions, which another login's views hide");
    private static final Map<String, String> ON_STATE_DATABASE = ordered(
            "SELECT", "", "INSERT", "", "UPDATE", "", "DELETE", "", "CREATE", "");

    private MariaDbServerCheck() {
    }

    /**
     * Everything this server and login lack for {@code needs}, and the warnings for {@code plan}.
     *
     * @throws SQLException when the server's settings or this login's grants cannot be read
     */
    public static ServerReport check(Connection c, ServerNeeds needs) throws SQLException {
        Server server = Server.read(c);
        List<ServerProblem> problems = new ArrayList<>();
        List<String> warnings = new ArrayList<>();
        String version = versionProblem(server.version);
        if (version != null) {
            problems.add(new ServerProblem(version, "Upgrade the server; Tandem changes nothing here"));
        }
        MariaDbGrants grants = MariaDbGrants.read(c, server.mariaDb ? MariaDbDialect.Flavor.MARIADB : MariaDbDialect.Flavor.MYSQL);
        boolean triggers = needs.triggers() || (needs.command() != Command.PUBLISH && syncTriggersExist(c, needs.plan().schema()));
        binaryLog(server, grants, triggers, problems);
        privileges(server, grants, needs, triggers, problems);
        if (needs.seeSessions() && !grants.global("PROCESS")) {
            problems.add(new ServerProblem("privilege PROCESS (contract and rollback verify that no application of"
                    + " another version is still connected, and expand waits for long transactions by name; without it"
                    + " the server shows this login only its own sessions)", "Run: GRANT PROCESS ON *.* TO "
                    + server.account() + ";" + (needs.command() == Command.EXPAND ? ""
                    : " (or run again with --force, which skips that verification and says so in the history)")));
        }
        tables(c, needs, problems);
        if (!server.mariaDb && version == null) warnings.add(MYSQL_UNTESTED);
        if (server.galera) {
            warnings.add(Galera.WARNING);
            if (!"TOI".equalsIgnoreCase(server.osuMethod)) {
                problems.add(new ServerProblem("wsrep_OSU_method is " + server.osuMethod + ": Tandem's DDL would change"
                        + " this node only while the other nodes keep the old tables", "Run: SET GLOBAL wsrep_OSU_method = 'TOI';"));
            }
            if (needs.command() == Command.EXPAND) {
                problems.addAll(Galera.notInstant(needs.plan()));
                warnings.addAll(Galera.rawSqlWarnings(needs.plan()));
            }
        }
        return new ServerReport(problems, warnings);
    }

    private static void binaryLog(Server server, MariaDbGrants grants, boolean triggers, List<ServerProblem> problems) {
        if (!server.logBin) return;
        if (!"ROW".equalsIgnoreCase(server.binlogFormat)) {
            problems.add(new ServerProblem("binlog_format is " + server.binlogFormat + ": under STATEMENT or MIXED"
                    + " replicas run Tandem's sync triggers again, where they cannot tell which version wrote (ROW"
                    + " replicates the rows the trigger wrote instead)", "Run: SET GLOBAL binlog_format = 'ROW'; (needs"
                    + " SUPER or BINLOG ADMIN; sessions started before keep their format) and set binlog_format = ROW"
                    + " under [mysqld] in my.cnf so that it stays after a restart"));
        }
        if (triggers && !server.trustFunctionCreators && !grants.global("SUPER")) {
            problems.add(new ServerProblem("log_bin_trust_function_creators is 0 with the binary log on, and this login"
                    + " is not SUPER: creating and dropping the sync triggers would fail with error 1419",
                    "Run: SET GLOBAL log_bin_trust_function_creators = 1; (needs SUPER or "
                            + (server.mariaDb ? "BINLOG ADMIN" : "SYSTEM_VARIABLES_ADMIN") + ") and set"
                            + " log_bin_trust_function_creators = 1 under [mysqld] in my.cnf so that it stays after a"
                            + " restart; then the TRIGGER privilege is enough"));
        }
    }

    private static void privileges(Server server, MariaDbGrants grants, ServerNeeds needs, boolean triggers,
                                   List<ServerProblem> problems) {
        String to = " TO " + server.account() + ";";
        String database = needs.plan().schema();
        boolean expand = needs.command() == Command.EXPAND;
        // Publishing creates the version database's views only; the database's own privileges were checked at expand.
        if (needs.command() != Command.PUBLISH) {
            Map<String, String> onDatabase = new LinkedHashMap<>(ON_DATABASE);
            if (!server.mariaDb) onDatabase.put("INSERT", MYSQL_INSERT_WHY);
            if (expand && database.equals(server.defaultDatabase)) onDatabase.put(TEMPORARY, TEMPORARY_WHY);
            if (triggers) onDatabase.put("TRIGGER", TRIGGER_WHY);
            missing(grants, server, database, onDatabase, "database " + quote(database),
                    quote(database) + ".*" + to, problems);
        }
        if (expand && server.defaultDatabase != null && !database.equals(server.defaultDatabase)) {
            missing(grants, server, server.defaultDatabase, ordered(TEMPORARY, TEMPORARY_WHY), "the connection's default"
                    + " database " + quote(server.defaultDatabase), quote(server.defaultDatabase) + ".*" + to, problems);
        }
        // One grant on a pattern gives every future version database of this one: <database>_<migration>.
        String versions = quote(escapePattern(database) + "\\_%") + ".*" + to;
        missing(grants, server, needs.plan().versionSchema(), ON_VERSION_DATABASE, "the version database "
                + quote(needs.plan().versionSchema()), versions, problems);
        String previous = needs.plan().previousVersionSchema();
        if (previous != null && (expand || needs.command() == Command.CONTRACT)) {
            missing(grants, server, previous, ordered("DROP", "contract drops it"), "the previous version database "
                    + quote(previous), versions, problems);
        }
        missing(grants, server, needs.stateSchema(), ON_STATE_DATABASE, "the state database "
                + quote(needs.stateSchema()) + " (Tandem's state tables)", quote(needs.stateSchema()) + ".*" + to, problems);
    }

    private static void missing(MariaDbGrants grants, Server server, String database, Map<String, String> wanted,
                                String where, String grantObject, List<ServerProblem> problems) {
        Set<String> held = grants.onDatabase(database, server.ignoreCase, wanted.keySet());
        List<String> lacking = wanted.keySet().stream().filter(p -> !held.contains(p)).toList();
        if (lacking.isEmpty()) return;
        List<String> why = lacking.stream().map(p -> wanted.get(p).isEmpty() ? p : p + " (" + wanted.get(p) + ")").toList();
        problems.add(new ServerProblem("privileges " + String.join(", ", why) + " on " + where,
                "Run: GRANT " + String.join(", ", lacking) + " ON " + grantObject));
    }

    /**
     * Whether Tandem's sync triggers exist on the database now ({@code _tandem_sync_<migration>_<table>_<event>}, the
     * only migration in flight's): contract and rollback drop them, which needs what creating them needed, and the
     * plan stored at expand does not say whether it has any.
     */
    private static boolean syncTriggersExist(Connection c, String database) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("SELECT 1 FROM information_schema.TRIGGERS WHERE TRIGGER_SCHEMA = ?"
                + " AND TRIGGER_NAME LIKE ? LIMIT 1")) {
            ps.setString(1, database);
            ps.setString(2, escapePattern(Names.syncTrigger("")) + "%");
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next();
            }
        }
    }

    private static void tables(Connection c, ServerNeeds needs, List<ServerProblem> problems) throws SQLException {
        if (needs.tables().isEmpty()) return;
        String database = needs.plan().schema();
        String in = String.join(", ", Collections.nCopies(needs.tables().size(), "?"));
        Map<String, String> engines = new LinkedHashMap<>();
        try (PreparedStatement ps = c.prepareStatement("SELECT TABLE_NAME, ENGINE FROM information_schema.TABLES"
                + " WHERE TABLE_SCHEMA = ? AND TABLE_NAME IN (" + in + ") ORDER BY TABLE_NAME")) {
            bind(ps, database, needs.tables());
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) engines.put(rs.getString(1), rs.getString(2));
            }
        }
        // A key the backfill can walk: unique, whole columns (no prefix), none of them nullable.
        Set<String> keyed = new HashSet<>();
        try (PreparedStatement ps = c.prepareStatement("SELECT s.TABLE_NAME FROM information_schema.STATISTICS s"
                + " LEFT JOIN information_schema.COLUMNS k ON k.TABLE_SCHEMA = s.TABLE_SCHEMA"
                + " AND k.TABLE_NAME = s.TABLE_NAME AND k.COLUMN_NAME = s.COLUMN_NAME"
                + " WHERE s.TABLE_SCHEMA = ? AND s.TABLE_NAME IN (" + in + ") AND s.NON_UNIQUE = 0"
                + " GROUP BY s.TABLE_NAME, s.INDEX_NAME"
                + " HAVING MIN(COALESCE(s.SUB_PART IS NULL AND k.IS_NULLABLE = 'NO', 0)) = 1")) {
            bind(ps, database, needs.tables());
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) keyed.add(rs.getString(1));
            }
        }
        for (Map.Entry<String, String> t : engines.entrySet()) {
            String table = quote(database) + "." + quote(t.getKey());
            if (!"InnoDB".equalsIgnoreCase(t.getValue())) {
                problems.add(new ServerProblem("table " + table + " uses the " + t.getValue() + " engine, and Tandem"
                        + " changes InnoDB tables only (ALTER without copying the table, transactional backfill batches)",
                        "Convert it before this migration, outside Tandem: ALTER TABLE " + table + " ENGINE=InnoDB;"
                                + " (this copies the table and blocks its writes while it runs)"));
            }
            if (!keyed.contains(t.getKey())) {
                problems.add(new ServerProblem("table " + table + " has no primary key and no unique index over NOT"
                        + " NULL columns: Tandem's backfill walks a table by such a key, and with ROW replication a"
                        + " replica finds every changed row of a table without one by scanning it",
                        "Add one before this migration, e.g. ALTER TABLE " + table + " ADD PRIMARY KEY (<columns>);"));
            }
        }
    }

    private static void bind(PreparedStatement ps, String database, List<String> tables) throws SQLException {
        ps.setString(1, database);
        for (int i = 0; i < tables.size(); i++) ps.setString(i + 2, tables.get(i));
    }

    /** {@code name} as a grant pattern that matches only itself: {@code \}, {@code _} and {@code %} escaped. */
    static String escapePattern(String name) {
        return name.replace("\\", "\\\\").replace("_", "\\_").replace("%", "\\%");
    }

    /**
     * Why a server that says it is {@code version} (what VERSION() returns, e.g. {@code 11.4.5-MariaDB-log} or
     * {@code 8.0.36}) is refused, or null when Tandem runs on it.
     */
    static String versionProblem(String version) {
        Matcher m = VERSION.matcher(version);
        if (!m.find()) return "the server version " + version + " cannot be read";
        int[] v = {Integer.parseInt(m.group(1)), Integer.parseInt(m.group(2)), Integer.parseInt(m.group(3))};
        if (version.toLowerCase(Locale.ROOT).contains("mariadb")) {
            return older(v, 10, 11, 0) ? "MariaDB " + version + " is older than 10.11, the oldest release Tandem is"
                    + " built and tested on" : null;
        }
        if (older(v, 8, 0, 32)) {
            return "MySQL " + version + " is older than 8.0.32: instant ADD and DROP COLUMN at any position came in"
                    + " 8.0.29 with crash and corruption bugs fixed up to 8.0.32";
        }
        return null;
    }

    /**
     * What plan says on every MySQL server: the MySQL flavor's statements follow the MySQL 8.0/8.4 manual, and none of
     * them has ever run against a MySQL server in Tandem's tests (no MySQL server can run where they run).
     */
    static final String MYSQL_UNTESTED = "MySQL 8.0.32+/8.4: Tandem's statements for this server are generated per the"
            + " MySQL reference manual, never run against a MySQL server by Tandem's tests: try the migration on a copy"
            + " of this database first";

    private static boolean older(int[] v, int major, int minor, int patch) {
        if (v[0] != major) return v[0] < major;
        if (v[1] != minor) return v[1] < minor;
        return v[2] < patch;
    }

    private static Map<String, String> ordered(String... privilegeAndWhy) {
        Map<String, String> map = new LinkedHashMap<>();
        for (int i = 0; i < privilegeAndWhy.length; i += 2) map.put(privilegeAndWhy[i], privilegeAndWhy[i + 1]);
        return Collections.unmodifiableMap(map);
    }

    /** The server's settings this check reads, all in one round trip but Galera's. */
    private record Server(String version, boolean mariaDb, boolean logBin, String binlogFormat,
                          boolean trustFunctionCreators, String user, String host, boolean ignoreCase, boolean galera,
                          String osuMethod, String defaultDatabase) {

        static Server read(Connection c) throws SQLException {
            try (Statement st = c.createStatement()) {
                Map<String, String> wsrep = new LinkedHashMap<>();
                // Only MariaDB and Galera builds of MySQL have these: SHOW lists nothing where they are absent.
                try (ResultSet rs = st.executeQuery("SHOW GLOBAL VARIABLES WHERE Variable_name IN ('wsrep_on', 'wsrep_OSU_method')")) {
                    while (rs.next()) wsrep.put(rs.getString(1).toLowerCase(Locale.ROOT), rs.getString(2));
                }
                try (ResultSet rs = st.executeQuery("SELECT VERSION(), @@GLOBAL.log_bin, @@GLOBAL.binlog_format,"
                        + " @@GLOBAL.log_bin_trust_function_creators, CURRENT_USER(), @@lower_case_table_names,"
                        + " DATABASE()")) {
                    rs.next();
                    String version = rs.getString(1);
                    String account = rs.getString(5);
                    int at = account.lastIndexOf('@');
                    return new Server(version, version.toLowerCase(Locale.ROOT).contains("mariadb"), rs.getBoolean(2),
                            rs.getString(3), rs.getBoolean(4), at < 0 ? account : account.substring(0, at),
                            at < 0 ? "%" : account.substring(at + 1), rs.getInt(6) != 0,
                            "ON".equalsIgnoreCase(wsrep.get("wsrep_on")), wsrep.get("wsrep_osu_method"), rs.getString(7));
                }
            }
        }

        /** The login as GRANT names it: {@code 'user'@'host'}. */
        String account() {
            return literal(user) + "@" + literal(host);
        }
    }
}
