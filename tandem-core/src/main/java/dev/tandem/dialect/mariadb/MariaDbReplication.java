package dev.tandem.dialect.mariadb;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;

/**
 * How far a replica is behind, read on the replica. {@code SHOW REPLICA STATUS} tells it ({@code Seconds_Behind_Master},
 * whole seconds), but needs the REPLICA MONITOR privilege (SLAVE MONITOR before MariaDB 10.5.9; REPLICATION CLIENT on
 * MySQL). Without it, whether the server replicates at all shows in {@code @@gtid_slave_pos} (MariaDB), which anyone
 * may read: a replica that cannot be measured is then an error, never taken for caught up.
 *
 * <p>TODO (issue 12): a privilege-free measure, a heartbeat row the backfill writes on the primary every 100 ms and
 * reads on the replica (measured sharper than Seconds_Behind_Master during bulk updates), needs the backfill to write
 * on the primary, which the dialect cannot do from the replica's connection alone.
 */
final class MariaDbReplication {
    /** What an unknown lag counts as: far behind, so that the backfill waits (as on PostgreSQL). */
    private static final Duration UNKNOWN = Duration.ofDays(1);
    private static final int ACCESS_DENIED = 1227;

    private MariaDbReplication() {
    }

    /** @return the lag, zero when caught up, or null when the server is not a replica */
    static Duration lag(Connection replica, MariaDbDialect.Flavor flavor) throws SQLException {
        String show = flavor == MariaDbDialect.Flavor.MARIADB ? "SHOW ALL REPLICAS STATUS" : "SHOW REPLICA STATUS";
        try (Statement st = replica.createStatement(); ResultSet rs = st.executeQuery(show)) {
            Duration worst = null;
            while (rs.next()) {
                Duration lag = secondsBehind(rs, flavor);
                if (worst == null || lag.compareTo(worst) > 0) worst = lag;
            }
            return worst;
        } catch (SQLException e) {
            if (e.getErrorCode() != ACCESS_DENIED) throw e;
            if (!replicates(replica, flavor)) return null;
            throw new SQLException("this login may not read the replica's status, so its lag is unknown: grant it "
                    + (flavor == MariaDbDialect.Flavor.MARIADB ? "REPLICA MONITOR (SLAVE MONITOR before 10.5.9)"
                    : "REPLICATION CLIENT") + " (" + e.getMessage() + ")", e.getSQLState(), e.getErrorCode(), e);
        }
    }

    /** Seconds_Behind_Master (Seconds_Behind_Source on MySQL); NULL when the SQL thread is not running: unknown. */
    private static Duration secondsBehind(ResultSet rs, MariaDbDialect.Flavor flavor) throws SQLException {
        long seconds = rs.getLong(flavor == MariaDbDialect.Flavor.MARIADB ? "Seconds_Behind_Master" : "Seconds_Behind_Source");
        return rs.wasNull() ? UNKNOWN : Duration.ofSeconds(seconds);
    }

    /** Whether the server has applied anything from a primary: a non-empty {@code gtid_slave_pos} (MariaDB). */
    private static boolean replicates(Connection c, MariaDbDialect.Flavor flavor) throws SQLException {
        if (flavor != MariaDbDialect.Flavor.MARIADB) return true; // MySQL shows nothing privilege-free: assume so
        try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery("SELECT @@gtid_slave_pos")) {
            rs.next();
            String pos = rs.getString(1);
            return pos != null && !pos.isEmpty();
        }
    }
}
