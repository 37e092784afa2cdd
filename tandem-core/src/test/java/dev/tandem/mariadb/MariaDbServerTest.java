package dev.tandem.mariadb;

import dev.tandem.testing.MariaDb;
import dev.tandem.testing.MariaDbServer;
import dev.tandem.testing.Rows;
import org.junit.jupiter.api.Test;
import org.mariadb.jdbc.MariaDbDataSource;

import java.sql.Connection;
import java.sql.SQLException;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The embedded server is configured as the MariaDB dialect expects production servers to be. */
class MariaDbServerTest {
    @Test
    void serverIsTheChosenVersion() {
        String expected = System.getProperty("tandem.mariadb.version", "11.4");
        String version = (String) Rows.scalar(MariaDb.dataSource(), "SELECT VERSION()");
        System.out.println("MariaDB server version: " + version);
        assertThat(version).startsWith(expected + ".").contains("MariaDB");
    }

    @Test
    void binaryLogIsOnInRowFormat() {
        assertThat(Rows.scalar(MariaDb.dataSource(), "SELECT @@GLOBAL.log_bin")).isIn(1, 1L, true);
        assertThat(Rows.scalar(MariaDb.dataSource(), "SELECT @@GLOBAL.binlog_format")).isEqualTo("ROW");
    }

    /** A server of a test's own stops and starts again on its data, with its grants (ServerRestartTest's need). */
    @Test
    void aServerRestartsOnItsData() throws SQLException {
        MariaDbServer own = MariaDbServer.start("restart");
        try {
            MariaDbDataSource root = new MariaDbDataSource(own.url(null));
            root.setUser("root");
            root.setPassword(MariaDbServer.PASSWORD);
            Rows.update(root, "CREATE DATABASE kept");
            Rows.update(root, "CREATE TABLE kept.t (id INT PRIMARY KEY)");
            Rows.update(root, "INSERT INTO kept.t VALUES (1)");
            own.restart();
            assertThat(Rows.scalar(root, "SELECT COUNT(*) FROM kept.t")).isEqualTo(1L);
            own.stop();
            assertThatThrownBy(() -> Rows.scalar(root, "SELECT 1")).hasRootCauseInstanceOf(java.net.ConnectException.class);
        } finally {
            own.stop();
        }
    }

    @Test
    void grantsAreEnforced() throws SQLException {
        String db = MariaDb.newDatabase("grants");
        MariaDb.exec(db, "CREATE TABLE t (id INT PRIMARY KEY)");
        String reader = MariaDb.newUser("reader", "SELECT ON " + MariaDb.quote(db) + ".*");
        String nobody = MariaDb.newUser("nobody");

        assertThat(Rows.scalar(MariaDb.dataSourceAs(reader, db), "SELECT COUNT(*) FROM t")).isEqualTo(0L);
        // SELECT command denied to user ... (1142)
        assertThatThrownBy(() -> Rows.scalar(MariaDb.dataSourceAs(nobody), "SELECT COUNT(*) FROM " + MariaDb.quote(db) + ".t"))
                .hasRootCauseInstanceOf(java.sql.SQLSyntaxErrorException.class)
                .satisfies(e -> assertThat(((SQLException) e.getCause()).getErrorCode()).isEqualTo(1142));
        // A wrong password is refused (1045), so the server does not run with --skip-grant-tables.
        MariaDbDataSource wrong = new MariaDbDataSource(MariaDb.url());
        wrong.setUser(reader);
        wrong.setPassword("not-the-password");
        assertThatThrownBy(() -> {
            try (Connection ignored = wrong.getConnection()) {
                // refused before this
            }
        }).isInstanceOf(SQLException.class).satisfies(e -> assertThat(((SQLException) e).getErrorCode()).isEqualTo(1045));
    }
}
