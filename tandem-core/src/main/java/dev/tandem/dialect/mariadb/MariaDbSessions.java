package dev.tandem.dialect.mariadb;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The server's client sessions as Tandem can tell them apart. MariaDB has no application_name: a session names itself
 * with the user variable {@code @tandem_session} ({@link MariaDbDialect#setApplicationName}) or, for applications that
 * connect without Tandem's library, with the connection attribute {@code program_name=tandem:<version>:<instance>}.
 * Another session can read either only through the Performance Schema ({@code user_variables_by_thread},
 * {@code session_connect_attrs}), which is off by default on MariaDB and needs SELECT on it: where it cannot be read,
 * sessions have no names, and callers fall back on what the process list shows.
 */
final class MariaDbSessions {
    /** The user variable a session's name is kept in, without its {@code @}. */
    static final String NAME_VARIABLE = "tandem_session";
    /**
     * Tandem's own sessions hold the user lock {@code tandem-tool:<connection id>}: any session may ask who holds a
     * lock ({@code IS_USED_LOCK}), with no privilege and without the Performance Schema, so Tandem's connections are
     * told from an application's even where both sit in the same database as the same login.
     */
    private static final String TOOL_LOCK = "tandem-tool:";
    /**
     * Every instance's session holds this too: one of a version Tandem does not know yet (before its first heartbeat
     * row) is an instance's all the same, never the version before.
     */
    private static final String INSTANCE_LOCK = "tandem-instance:";
    /** The lock name's start for a version's session, the version given as the one parameter. */
    private static final String VERSION_LOCK = "'tandem-v:', LEFT(SHA2(?, 256), 16), ':'";

    private MariaDbSessions() {
    }

    /**
     * A row of the process list: the connection id, login, client host (without its port), default database, what it
     * does ({@code Query}, {@code Sleep}, ...), for how many seconds, and its Tandem name (null when unknown).
     */
    record Session(long id, String user, String host, String database, String command, long seconds, String name,
                   boolean tandem, boolean instance) {
        /**
         * A thread of the server itself (replication, the event scheduler, ...), not a client's session. A replica's
         * dump thread is {@code Binlog Dump} ("Thread Command Values", 10.14.2 of the MySQL 8.4 manual); a MySQL replica
         * that asks by GTID is served by one named {@code Binlog Dump GTID} (the protocol's COM_BINLOG_DUMP_GTID; the
         * manual's list leaves it out).
         */
        boolean serverThread() {
            return "system user".equals(user) || "event_scheduler".equals(user) || "Daemon".equals(command)
                    || (command != null && (command.startsWith("Binlog Dump") || command.startsWith("Slave_")));
        }

        /**
         * A client connecting or closing, which has run none of its statements: while it logs in the process list
         * shows it as {@code unauthenticated user}, then for a moment with its login and still no database, as a
         * {@link #HANDSHAKE} command; closing, as {@code Quit}.
         */
        boolean connecting() {
            return "unauthenticated user".equals(user) || HANDSHAKE.contains(command);
        }

        /** How an operator finds and ends it: {@code connection 42 of 'app'@10.0.0.7 in `app`}. */
        String describe() {
            return "connection " + id + " of '" + user + "'@" + host
                    + (database == null ? " with no default database" : " in " + MariaDbNames.quote(database));
        }
    }

    /**
     * Marks {@code c} as one of Tandem's own sessions (see {@link #TOOL_LOCK}) until it ends. A session holds any
     * number of user locks (MariaDB 10.0.2+, MySQL 5.7+), so the migration lock is not disturbed.
     */
    static void markAsTandem(Connection c) throws SQLException {
        try (Statement st = c.createStatement()) {
            st.executeQuery("SELECT GET_LOCK(CONCAT('" + TOOL_LOCK + "', CONNECTION_ID()), 0)").close();
        }
    }

    /**
     * Marks {@code c} as a session of an application instance of {@code version} until it ends, with the user lock
     * {@code tandem-v:<digest of the version>:<connection id>} (short: MySQL takes 64 characters). A pooled connection
     * keeps it while it idles in the managed database, so the guard does not take it for the previous version.
     */
    static void markAsVersion(Connection c, String version) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("SELECT GET_LOCK(CONCAT(" + VERSION_LOCK + ", CONNECTION_ID()), 0),"
                + " GET_LOCK(CONCAT('" + INSTANCE_LOCK + "', CONNECTION_ID()), 0)")) {
            ps.setString(1, version);
            ps.executeQuery().close();
        }
    }

    /** The connections marked by {@link #markAsVersion} with one of {@code versions}: connection id → version. */
    static Map<Long, String> markedVersions(Connection c, Iterable<String> versions) throws SQLException {
        Map<Long, String> marked = new HashMap<>();
        try (PreparedStatement ps = c.prepareStatement("SELECT ID FROM information_schema.PROCESSLIST"
                + " WHERE IS_USED_LOCK(CONCAT(" + VERSION_LOCK + ", ID)) <=> ID")) {
            for (String version : versions) {
                ps.setString(1, version);
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) marked.put(rs.getLong(1), version);
                }
            }
        }
        return marked;
    }

    /**
     * The sessions this login may see: all of them with the PROCESS privilege, its own otherwise ("SHOW PROCESSLIST"
     * in the MariaDB manual). The asking session is left out.
     */
    static List<Session> visible(Connection c) throws SQLException {
        Map<Long, String> names = names(c);
        List<Session> sessions = new ArrayList<>();
        try (PreparedStatement ps = c.prepareStatement("SELECT ID, USER, HOST, DB, COMMAND, TIME,"
                + " IS_USED_LOCK(CONCAT('" + TOOL_LOCK + "', ID)) <=> ID, IS_USED_LOCK(CONCAT('" + INSTANCE_LOCK + "', ID)) <=> ID"
                + " FROM information_schema.PROCESSLIST WHERE ID <> CONNECTION_ID()");
             ResultSet rs = ps.executeQuery()) {
            while (rs.next()) {
                long id = rs.getLong(1);
                sessions.add(new Session(id, rs.getString(2), host(rs.getString(3)), rs.getString(4), rs.getString(5),
                        rs.getLong(6), names.get(id), rs.getBoolean(7), rs.getBoolean(8)));
            }
        }
        return sessions;
    }

    /**
     * Commands of a session that is connecting or disconnecting: it is listed with its login but no database yet (or
     * any more) while the client's database is not set, and it runs none of the client's statements. Measured on
     * 10.11: a client connecting to a named database in a loop was listed with none as {@code Busy} or {@code Connect}
     * in 573 of 31,097 reads, and the contract guard took such a moment for a session with no default database
     * (a CI run's rollback refused over a test's own connect loop; ContractGuardOnMariaDbTest
     * .aClientConnectingToItsDatabaseIsNotTakenForOneWithNone). {@code Quit}: closing.
     */
    static final java.util.Set<String> HANDSHAKE = java.util.Set.of("Connect", "Busy", "Quit");

    /** How often, and how far apart, {@link #observed} reads the process list. */
    private static final int READS = 5;
    private static final long READ_INTERVAL_MS = 10;

    /**
     * The sessions as the contract guard counts them: {@link #visible} read {@value #READS} times, 10 ms apart. While a
     * session runs a trigger (or a view or routine) of another definer, the process list shows the definer as its user
     * and the object's database as its database, since the server runs the stored program in that security context
     * and database; one read can so take a writer with no default database for the definer's session in another
     * database (measured: ContractGuardOnMariaDbTest's old writer, busy in the sync trigger, was listed once as
     * 'root', and in another run was missed, its writes failing after contract). A stored program never clears the
     * current database: a session seen with none in any read has none of its own, and that observation stands;
     * otherwise the first one does. A session seen in any read is listed.
     */
    static List<Session> observed(Connection c) throws SQLException {
        Map<Long, Session> seen = new java.util.LinkedHashMap<>();
        for (int i = 0; i < READS; i++) {
            if (i > 0) {
                try {
                    Thread.sleep(READ_INTERVAL_MS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    break;
                }
            }
            for (Session s : visible(c)) {
                if (s.connecting()) continue;
                seen.merge(s.id(), s, (first, next) -> first.database() != null && next.database() == null ? next : first);
            }
        }
        return List.copyOf(seen.values());
    }

    /** {@code 10.0.0.7:51234} → {@code 10.0.0.7}; {@code localhost} stays. */
    static String host(String hostAndPort) {
        if (hostAndPort == null || hostAndPort.isEmpty()) return "local";
        int colon = hostAndPort.lastIndexOf(':');
        // The process list appends the port to every TCP client's address (IPv6 ones too), never to "localhost" (a socket).
        return colon > 0 && hostAndPort.substring(colon + 1).chars().allMatch(Character::isDigit)
                ? hostAndPort.substring(0, colon) : hostAndPort;
    }

    /**
     * Tandem's names of the sessions, by connection id: the user variable first (set on every checkout, so it is the
     * newer word), then the connection attribute. Empty where the Performance Schema cannot be read.
     */
    static Map<Long, String> names(Connection c) {
        Map<Long, String> names = new HashMap<>();
        try (PreparedStatement ps = c.prepareStatement("""
                SELECT a.PROCESSLIST_ID, a.ATTR_VALUE FROM performance_schema.session_connect_attrs a
                WHERE a.ATTR_NAME = 'program_name' AND a.ATTR_VALUE LIKE 'tandem%'
                UNION ALL
                SELECT t.PROCESSLIST_ID, CONVERT(v.VARIABLE_VALUE USING utf8mb4)
                FROM performance_schema.user_variables_by_thread v
                JOIN performance_schema.threads t ON t.THREAD_ID = v.THREAD_ID
                WHERE v.VARIABLE_NAME = ? AND t.PROCESSLIST_ID IS NOT NULL""")) {
            ps.setString(1, NAME_VARIABLE);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    if (rs.getString(2) != null) names.put(rs.getLong(1), rs.getString(2));
                }
            }
        } catch (SQLException e) {
            // No SELECT on performance_schema, or a server built without it: sessions stay unnamed.
            return Map.of();
        }
        return names;
    }
}
