package dev.tandem.mariadb;

import dev.tandem.dialect.Dialect;
import dev.tandem.dialect.mariadb.MariaDbDialect;
import dev.tandem.dialect.mariadb.MariaDbDialect.Flavor;
import dev.tandem.engine.LockMode;
import dev.tandem.engine.TableLock;
import dev.tandem.testing.MariaDb;
import dev.tandem.testing.MariaDbServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The MySQL flavor reads a session's metadata locks from performance_schema.metadata_locks (MySQL has no
 * METADATA_LOCK_INFO plugin). MariaDB 10.5+ has the same table, so the MySQL form runs here on a server of its own with
 * the Performance Schema and its metadata lock instrument on; this proves the query's logic on MariaDB, not that MySQL
 * accepts it (MySqlFlavorQueriesTest has its text). Where the table cannot be read so, the locks are unknown, as before.
 */
class PerformanceSchemaLocksTest {
    private static MariaDbServer server;
    private final Dialect mysql = new MariaDbDialect(Flavor.MYSQL);

    @BeforeAll
    static void start() throws SQLException {
        server = MariaDbServer.start("pslocks", List.of("--performance-schema=ON",
                "--performance-schema-instrument=wait/lock/metadata/sql/mdl=ON"));
        try (Connection c = connect(); Statement st = c.createStatement()) {
            st.execute("CREATE DATABASE IF NOT EXISTS app");
            st.execute("CREATE TABLE IF NOT EXISTS app.items (id INT PRIMARY KEY, qty INT)");
            st.execute("CREATE TABLE IF NOT EXISTS app.other (id INT PRIMARY KEY)");
        }
    }

    @AfterAll
    static void stop() {
        if (server != null) server.stop();
    }

    private static Connection connect() throws SQLException {
        return DriverManager.getConnection(server.url(null), "root", MariaDbServer.PASSWORD);
    }

    @Test
    void aTransactionsTableLocksAreReadWithTheirModes() throws SQLException {
        try (Connection c = connect(); Statement st = c.createStatement()) {
            c.setAutoCommit(false);
            assertThat(mysql.relationLocksHeld(c, null)).as("nothing read yet").isEmpty();
            st.executeQuery("SELECT COUNT(*) FROM app.other").close();
            st.executeUpdate("UPDATE app.items SET qty = 1 WHERE id = 1");
            assertThat(mysql.relationLocksHeld(c, null)).containsExactly(
                    new TableLock("app", "items", LockMode.ROW_EXCLUSIVE),
                    new TableLock("app", "other", LockMode.ACCESS_SHARE));
            c.rollback();
            assertThat(mysql.relationLocksHeld(c, null)).as("released at the transaction's end").isEmpty();
        }
    }

    @Test
    void withoutTheInstrumentTheLocksAreUnknownNotNone() throws SQLException {
        try (Connection admin = connect(); Statement st = admin.createStatement()) {
            st.execute("UPDATE performance_schema.setup_instruments SET ENABLED = 'NO'"
                    + " WHERE NAME = 'wait/lock/metadata/sql/mdl'");
            try (Connection c = connect()) {
                assertThatThrownBy(() -> mysql.relationLocksHeld(c, null)).isInstanceOf(Dialect.LocksUnknown.class)
                        .hasMessageContaining("performance_schema.metadata_locks");
            } finally {
                st.execute("UPDATE performance_schema.setup_instruments SET ENABLED = 'YES'"
                        + " WHERE NAME = 'wait/lock/metadata/sql/mdl'");
            }
        }
    }

    /** The shared test server has the Performance Schema off, as MariaDB has by default. */
    @Test
    void withThePerformanceSchemaOffTheLocksAreUnknown() throws SQLException {
        try (Connection c = MariaDb.dataSource().getConnection()) {
            assertThatThrownBy(() -> mysql.relationLocksHeld(c, null)).isInstanceOf(Dialect.LocksUnknown.class);
        }
    }
}
