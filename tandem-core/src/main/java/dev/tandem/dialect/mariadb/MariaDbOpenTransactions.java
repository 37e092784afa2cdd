package dev.tandem.dialect.mariadb;

import dev.tandem.dialect.Dialect.OpenTransaction;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * The other sessions' open InnoDB transactions older than a threshold, from {@code information_schema.INNODB_TRX}
 * (which needs PROCESS) joined to the process list for the login and client host. A transaction that has only read
 * is listed too, from its first read on (measured, MariaDbFactsTest), and it holds the metadata lock of every table it
 * read until it ends.
 *
 * <p>MariaDB does not say which tables a transaction holds without the {@code METADATA_LOCK_INFO} plugin, which is not
 * installed by default (nor shipped with the embedded server the tests run): every long transaction may hold the
 * table, and the caller asks only once a step found the table's lock taken.
 *
 * <p>{@code trx_started} is the server's local time and has whole seconds, so a transaction counts once its start is more than the threshold,
 * rounded up to a second, plus one second ago: a writer's transaction of a few milliseconds never counts.
 */
final class MariaDbOpenTransactions {
    /** Error 1227: the login lacks PROCESS, which INNODB_TRX needs. */
    private static final int ACCESS_DENIED = 1227;

    private MariaDbOpenTransactions() {
    }

    /**
     * trx_started is the server's local time, whatever the session's time zone (measured: a session at +05:00 saw a
     * new transaction 5 h old): NOW() is read in the same zone. MariaDB sets the zone for the one statement ({@code
     * SET STATEMENT}); MySQL has no SET STATEMENT ("SET Syntax for Variable Assignment", 15.7.6.1 of the MySQL 8.4
     * manual, has none) and its SET_VAR hint is for the variables the manual lists as hint-updatable ("Variable-Setting
     * Hint Syntax", 10.9.3), so there the session's zone is saved, set and put back ({@link #RESTORE_TIME_ZONE}).
     */
    static String query(MariaDbDialect.Flavor flavor) {
        String select = "SELECT t.trx_mysql_thread_id, p.USER, p.HOST, TIMESTAMPDIFF(SECOND, t.trx_started, NOW())"
                + " FROM information_schema.INNODB_TRX t"
                + " LEFT JOIN information_schema.PROCESSLIST p ON p.ID = t.trx_mysql_thread_id"
                + " WHERE t.trx_mysql_thread_id <> CONNECTION_ID() AND t.trx_started <= NOW() - INTERVAL ? SECOND"
                + " ORDER BY t.trx_started, t.trx_mysql_thread_id";
        return flavor == MariaDbDialect.Flavor.MARIADB ? "SET STATEMENT time_zone = 'SYSTEM' FOR " + select : select;
    }

    /** MySQL: the session's time zone saved, and 'SYSTEM' set, before {@link #query}. */
    static final String SYSTEM_TIME_ZONE = "SET @tandem_time_zone = @@SESSION.time_zone, SESSION time_zone = 'SYSTEM'";
    /** MySQL: the session's time zone put back after {@link #query}. */
    static final String RESTORE_TIME_ZONE = "SET SESSION time_zone = @tandem_time_zone, @tandem_time_zone = NULL";

    static List<OpenTransaction> olderThan(Connection c, Duration threshold, MariaDbDialect.Flavor flavor)
            throws SQLException {
        if (flavor == MariaDbDialect.Flavor.MARIADB) return read(c, threshold, flavor);
        try (Statement st = c.createStatement()) {
            st.execute(SYSTEM_TIME_ZONE);
            try {
                return read(c, threshold, flavor);
            } finally {
                st.execute(RESTORE_TIME_ZONE);
            }
        }
    }

    private static List<OpenTransaction> read(Connection c, Duration threshold, MariaDbDialect.Flavor flavor)
            throws SQLException {
        long seconds = (threshold.toMillis() + 999) / 1000 + 1;
        String sql = query(flavor);
        List<OpenTransaction> found = new ArrayList<>();
        try (PreparedStatement ps = c.prepareStatement(sql)) {
            ps.setLong(1, seconds);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    long id = rs.getLong(1);
                    found.add(new OpenTransaction(id, rs.getString(2), rs.getString(3), Duration.ofSeconds(rs.getLong(4)),
                            "KILL CONNECTION " + id));
                }
            }
        } catch (SQLException e) {
            // Without PROCESS the login sees no other session's transaction: nothing to name, the step retries as before.
            if (e.getErrorCode() == ACCESS_DENIED) return List.of();
            throw e;
        }
        return found;
    }
}
