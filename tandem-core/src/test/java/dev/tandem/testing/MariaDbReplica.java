package dev.tandem.testing;

import dev.tandem.Tandem;
import dev.tandem.dialect.Dialect;
import org.mariadb.jdbc.MariaDbDataSource;

import javax.sql.DataSource;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Two embedded MariaDB servers of their own, the second a replica of the first (binlog ROW on both, GTID replication
 * from the moment the replica is made: "Setting up a Replica with GTID" in the MariaDB manual), set up as root. The
 * backfill reads the replica with a login that has only SELECT on Tandem's state database {@code tandem}: no REPLICA
 * MONITOR, no SUPER.
 *
 * <pre>{@code
 * try (MariaDbReplica r = MariaDbReplica.start()) { r.pauseReplay(); ... r.resumeReplay(); }
 * }</pre>
 */
public final class MariaDbReplica implements LaggingReplica, AutoCloseable {
    /** The login the backfill is given for the replica. */
    public static final String READER = "lag_reader";
    private static final AtomicInteger counter = new AtomicInteger();

    private final MariaDbServer primary;
    private final MariaDbServer replica;

    private MariaDbReplica(MariaDbServer primary, MariaDbServer replica) {
        this.primary = primary;
        this.replica = replica;
    }

    /**
     * Starts both servers and replication, and waits until the replica applies what the primary writes.
     *
     * @throws IllegalStateException when a server does not start or replication does not run
     */
    public static MariaDbReplica start() {
        MariaDbServer primary = MariaDbServer.start("lag-primary");
        MariaDbServer replica = MariaDbServer.start("lag-replica", List.of("--server-id=2"));
        MariaDbReplica r = new MariaDbReplica(primary, replica);
        // Both data directories were installed alike: the replica starts from the primary's position now, not from
        // its first binlog event (the start-up statements of the primary's init file, which the replica ran itself).
        String position = String.valueOf(Rows.scalar(r.primaryDataSource(), "SELECT @@gtid_binlog_pos"));
        exec(r.replica(), "SET GLOBAL gtid_slave_pos = '" + position + "'",
                "CHANGE MASTER TO MASTER_HOST = '127.0.0.1', MASTER_PORT = " + primary.port() + ", MASTER_USER = 'root',"
                        + " MASTER_PASSWORD = '" + MariaDbServer.PASSWORD + "', MASTER_USE_GTID = slave_pos, MASTER_CONNECT_RETRY = 1,"
                        // The test servers run without TLS (--skip-ssl); 11.4 replicas ask for it by default.
                        + " MASTER_SSL = 0, MASTER_SSL_VERIFY_SERVER_CERT = 0",
                "START SLAVE",
                // Made on the replica alone: the primary never needs this login.
                "CREATE USER '" + READER + "'@'%' IDENTIFIED BY '" + MariaDbServer.PASSWORD + "'",
                "GRANT SELECT ON `tandem`.* TO '" + READER + "'@'%'");
        exec(r.primaryDataSource(), "CREATE DATABASE replication_check");
        r.awaitCaughtUp(Duration.ofSeconds(60));
        if (!"1".equals(String.valueOf(Rows.scalar(r.replica(),
                "SELECT COUNT(*) FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = 'replication_check'")))) {
            throw new IllegalStateException("the replica does not apply what the primary writes: " + r.status());
        }
        return r;
    }

    @Override
    public Tandem.Config tandem(String schema) {
        return Tandem.configure().url(tandemUrl(schema), "root", MariaDbServer.PASSWORD).schema(schema);
    }

    /** The primary's URL for Tandem on {@code schema} (the URL's database is the schema, as a user gives it). */
    public String tandemUrl(String schema) {
        return primary.url(schema);
    }

    @Override
    public DataSource primaryDataSource() {
        return dataSource(primary, "root");
    }

    @Override
    public DataSource replicaForTandem() {
        return dataSource(replica, READER);
    }

    @Override
    public DataSource replica() {
        return dataSource(replica, "root");
    }

    /** The replica server itself, to stop and restart it. */
    public MariaDbServer replicaServer() {
        return replica;
    }

    @Override
    public String newSchema(String prefix) {
        String name = prefix + "_" + counter.incrementAndGet();
        exec(primaryDataSource(), "CREATE DATABASE `" + name + "`");
        return name;
    }

    @Override
    public Dialect dialect() {
        return TestDatabase.MARIADB.dialect();
    }

    @Override
    public TestDatabase database() {
        return TestDatabase.MARIADB;
    }

    /** Stops the SQL thread: the IO thread goes on receiving the primary's binlog into the relay log. */
    @Override
    public void pauseReplay() {
        exec(replica(), "STOP SLAVE SQL_THREAD");
    }

    @Override
    public void resumeReplay() {
        exec(replica(), "START SLAVE");
    }

    @Override
    public boolean replayPaused() {
        return "No".equals(status().get("Slave_SQL_Running"));
    }

    /** MASTER_GTID_WAIT: until the replica has applied the primary's binlog position as it is now. */
    @Override
    public void awaitCaughtUp(Duration timeout) {
        String position = String.valueOf(Rows.scalar(primaryDataSource(), "SELECT @@gtid_binlog_pos"));
        Object reached = Rows.scalar(replica(), "SELECT MASTER_GTID_WAIT('" + position + "', " + timeout.toSeconds() + ")");
        if (!"0".equals(String.valueOf(reached))) {
            throw new AssertionError("the replica did not apply up to " + position + " in " + timeout.toSeconds()
                    + " s: " + status());
        }
    }

    /** SHOW SLAVE STATUS as root, column by column (empty when the server is no replica). */
    public Map<String, String> status() {
        try (Connection c = replica().getConnection(); Statement st = c.createStatement();
             ResultSet rs = st.executeQuery("SHOW SLAVE STATUS")) {
            Map<String, String> row = new java.util.LinkedHashMap<>();
            if (rs.next()) {
                for (int i = 1; i <= rs.getMetaData().getColumnCount(); i++) {
                    row.put(rs.getMetaData().getColumnLabel(i), rs.getString(i));
                }
            }
            return row;
        } catch (SQLException e) {
            throw new IllegalStateException("SHOW SLAVE STATUS: " + e.getMessage(), e);
        }
    }

    /** Stops both servers; their data directories go when the JVM exits. */
    @Override
    public void close() {
        replica.stop();
        primary.stop();
    }

    private static DataSource dataSource(MariaDbServer server, String user) {
        try {
            // Credentials in the URL: see MariaDb.dataSource.
            return new MariaDbDataSource(server.url(null) + "?allowMultiQueries=true&user=" + user + "&password="
                    + MariaDbServer.PASSWORD);
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
    }

    private static void exec(DataSource ds, String... statements) {
        for (String sql : statements) Rows.update(ds, sql);
    }
}
