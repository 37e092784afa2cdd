package dev.tandem.mariadb;

import dev.tandem.Tandem;
import dev.tandem.engine.Names;
import dev.tandem.testing.MariaDb;
import dev.tandem.testing.MariaDbServer;
import dev.tandem.testing.Migrations;
import dev.tandem.testing.Rows;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mariadb.jdbc.MariaDbPoolDataSource;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The newcomer's pool: the new version names itself only in the URL's {@code sessionVariables}, and the pool resets
 * each session it takes back ({@code useResetConnection=true}), which drops {@code @tandem_version} after the first
 * checkout. The later checkouts still write through the new version's views, but the sync trigger would take them for
 * the previous version; it refuses a write that gives a column only the new version has a value of its own, rather than
 * let the previous version's next write overwrite it.
 */
class PoolResetOnMariaDbTest {
    private static final String MIGRATION = "002_qty_times_ten";
    /** The new form is ten times the old one, so that a write that skipped its translation shows. */
    private static final String QTY_TIMES_TEN = """
            operations:
              - alter_column: {table: items, column: qty, type: bigint, up: "qty * 10", down: "FLOOR(qty / 10)"}
              - add_column: {table: items, column: {name: label, type: "varchar(20)", default: "'none'"}, up: "CONCAT('n', qty)"}
              - add_column: {table: items, column: {name: price, type: "decimal(10,2)"}, up: "qty * 1.5"}
            """;

    @TempDir
    Path dir;

    private String expanded() throws Exception {
        String app = MariaDb.newDatabase("pool");
        MariaDb.exec(app, "CREATE TABLE items (id BIGINT PRIMARY KEY, qty INT NOT NULL)", "INSERT INTO items VALUES (1, 1), (2, 2)");
        new Migrations(dir).write(MIGRATION + ".yaml", QTY_TIMES_TEN);
        Tandem tandem = Tandem.configure().url(MariaDb.url(app), "root", MariaDbServer.PASSWORD).schema(app)
                .migrations(dir).load();
        tandem.expand();
        tandem.backfill();
        return app;
    }

    /** As the newcomer configured it: the version in the URL, sessions reset when the pool takes them back. */
    private static MariaDbPoolDataSource resettingPool(String app) throws SQLException {
        String url = MariaDb.url(Names.versionSchema(app, MIGRATION));
        return new MariaDbPoolDataSource(url + (url.contains("?") ? "&" : "?") + "user=root&password="
                + MariaDbServer.PASSWORD + "&sessionVariables=@tandem_version='" + MIGRATION + "'"
                + "&useResetConnection=true&maxPoolSize=1&minPoolSize=1");
    }

    private static Object scalar(Connection c, String sql) throws SQLException {
        try (Statement st = c.createStatement(); var rs = st.executeQuery(sql)) {
            rs.next();
            return rs.getObject(1);
        }
    }

    private static void exec(Connection c, String sql) throws SQLException {
        try (Statement st = c.createStatement()) {
            st.execute(sql);
        }
    }

    /**
     * One statement on a connection the pool has reset, as each of the newcomer's later requests. The pool has one
     * connection; one that a refused statement left closed is replaced by a new one, which the driver gives the URL's
     * variables again, so it is checked out and given back once first.
     */
    private static void checkout(MariaDbPoolDataSource pool, String sql) throws SQLException {
        try (Connection c = pool.getConnection()) {
            scalar(c, "SELECT 1");
        }
        try (Connection c = pool.getConnection()) {
            assertThat(scalar(c, "SELECT @tandem_version")).isNull();
            exec(c, sql);
        }
    }

    private static Map<String, Object> row(String app, long id) {
        return Rows.query(MariaDb.dataSource(app), "SELECT qty, " + MariaDb.quote(Names.shadowColumn("qty"))
                + " AS new_qty, label FROM items WHERE id = ?", id).get(0);
    }

    /** The previous version's read-modify-write, on the table itself with no @tandem_version. */
    private static void previousIncrements(String app, long id) {
        Rows.update(MariaDb.dataSource(app), "UPDATE items SET qty = qty + 1 WHERE id = " + id);
    }

    @Test
    void aResetSessionThatWritesTheNewFormIsRefusedNotTakenForThePreviousVersion() throws Exception {
        String app = expanded();
        try (MariaDbPoolDataSource pool = resettingPool(app)) {
            try (Connection c = pool.getConnection()) {
                assertThat(scalar(c, "SELECT @tandem_version")).isEqualTo(MIGRATION);
                exec(c, "UPDATE items SET qty = 50 WHERE id = 1");
            }
            assertThat(row(app, 1)).containsEntry("qty", 5).containsEntry("new_qty", 50L);
            // The loss itself (checkout asserts it): the pool reset the session and the driver did not set the URL's
            // variable again.
            assertThatThrownBy(() -> checkout(pool, "UPDATE items SET qty = 70 WHERE id = 1"))
                    .isInstanceOf(SQLException.class)
                    .satisfies(e -> assertThat(((SQLException) e).getSQLState()).isEqualTo("45000"))
                    .hasMessageContaining("sets no @tandem_version").hasMessageContaining("useResetConnection")
                    .hasMessageContaining("qty (" + Names.shadowColumn("qty") + ")");
            assertThatThrownBy(() -> checkout(pool, "INSERT INTO items (id, qty) VALUES (3, 70)"))
                    .hasMessageContaining("useResetConnection");
            assertThatThrownBy(() -> checkout(pool, "UPDATE items SET label = 'mine' WHERE id = 2"))
                    .hasMessageContaining("writes label,");
            // What the new version shares with the previous one, and what up gives anyway, passes.
            checkout(pool, "UPDATE items SET id = 20 WHERE id = 2");
            checkout(pool, "UPDATE items SET label = 'n2' WHERE id = 20");
            // Nothing was lost: the first checkout's value is there, and the previous version's write translates it.
            previousIncrements(app, 1);
            assertThat(row(app, 1)).containsEntry("qty", 6).containsEntry("new_qty", 60L);
        }
    }

    /** The previous version's writes, the backfill's and a copy of the table's rows by {@code SELECT *} still pass. */
    @Test
    void thePreviousVersionsWritesStillPass() throws Exception {
        String app = expanded();
        Rows.update(MariaDb.dataSource(app), "INSERT INTO items (id, qty) VALUES (3, 3)");
        previousIncrements(app, 3);
        assertThat(row(app, 3)).containsEntry("qty", 4).containsEntry("new_qty", 40L).containsEntry("label", "n4");
        // A base table's SELECT * holds the new-form columns: a copy of rows whose new form is what up gives passes,
        // compared by value where the column's type writes it otherwise (price's 6.00 is up's 6.0).
        MariaDb.exec(app, "CREATE TABLE items_copy AS SELECT * FROM items WHERE id = 3", "UPDATE items_copy SET id = 4",
                "INSERT INTO items SELECT * FROM items_copy");
        assertThat(row(app, 4)).containsEntry("qty", 4).containsEntry("new_qty", 40L).containsEntry("label", "n4");
        assertThat(Rows.scalar(MariaDb.dataSource(app), "SELECT price FROM items WHERE id = 4")).hasToString("6.00");
        assertThat(Rows.query(MariaDb.dataSource(app), "SELECT id FROM items ORDER BY id")).hasSize(4);
        assertThat(List.of(row(app, 1).get("new_qty"), row(app, 2).get("new_qty"))).containsExactly(10L, 20L);
    }
}
