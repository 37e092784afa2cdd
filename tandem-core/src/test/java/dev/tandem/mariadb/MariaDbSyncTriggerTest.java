package dev.tandem.mariadb;

import dev.tandem.catalog.Catalog;
import dev.tandem.dialect.Ddl;
import dev.tandem.dialect.mariadb.MariaDbDdl;
import dev.tandem.engine.Names;
import dev.tandem.testing.MariaDb;
import dev.tandem.testing.Rows;
import org.junit.jupiter.api.Test;

import java.sql.Connection;
import java.sql.SQLException;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * MariaDbDdl's sync triggers and version database on the real server: which version wrote a row is told by
 * {@code @tandem_version}, up fills the new form for the previous version's writes, down the old form for the new
 * version's, through the version database's views.
 */
class MariaDbSyncTriggerTest {

    private static Map<String, Object> row(UsersMigration m, int id) {
        return Rows.query(MariaDb.dataSource(), "SELECT name, n, " + MariaDb.quote(UsersMigration.SHADOW) + " AS shadow,"
                + " display, " + Names.DONE_COLUMN + " AS done FROM " + m.qualified() + " WHERE id = ?", id).get(0);
    }

    /** A write of the previous version: on the table itself, with no @tandem_version. */
    private static void previous(UsersMigration m, String sql) {
        Rows.update(MariaDb.dataSource(m.database), sql);
    }

    /** A connection of the new version: its default database is the version database, and it names its version. */
    private static Connection newVersion(UsersMigration m) throws SQLException {
        Connection c = MariaDbSteps.in(m.versionDatabase).getConnection();
        MariaDbSteps.exec(c, "SET @tandem_version = " + MariaDb.literal(UsersMigration.VERSION));
        return c;
    }

    @Test
    void previousVersionWritesFillTheNewFormThroughUp() {
        UsersMigration m = new UsersMigration("sync_up").expanded();
        previous(m, "INSERT INTO users (name, n, email) VALUES ('ada', 7, 'a@x')");
        assertThat(row(m, 1)).containsEntry("shadow", 7L).containsEntry("display", "ADA").containsEntry("done", true);

        previous(m, "UPDATE users SET n = 8, name = 'Bea' WHERE id = 1");
        assertThat(row(m, 1)).containsEntry("shadow", 8L).containsEntry("display", "BEA");
    }

    @Test
    void previousVersionUpdateRecomputesOnlyWhatItsInputsChanged() throws SQLException {
        UsersMigration m = new UsersMigration("sync_inputs").expanded();
        previous(m, "INSERT INTO users (name, n, email) VALUES ('ada', 7, 'a@x')");
        try (Connection c = newVersion(m)) {
            MariaDbSteps.exec(c, "UPDATE users SET display = 'Ada Lovelace' WHERE id = 1");
        }
        // The previous version changes the e-mail only: display's input (name) is as it was, so what the new version
        // wrote stands.
        previous(m, "UPDATE users SET email = 'b@x' WHERE id = 1");
        assertThat(row(m, 1)).containsEntry("display", "Ada Lovelace");
        // A change of case alone is a change: compared byte for byte, not by the column's case-insensitive collation.
        previous(m, "UPDATE users SET name = 'ADA' WHERE id = 1");
        assertThat(row(m, 1)).containsEntry("display", "ADA");
    }

    @Test
    void newVersionWritesThroughItsViewsFillTheOldFormThroughDown() throws SQLException {
        UsersMigration m = new UsersMigration("sync_down").expanded();
        try (Connection c = newVersion(m)) {
            MariaDbSteps.exec(c, "INSERT INTO users (full_name, n, email, display) VALUES ('cy', 2000000000, 'c@x', 'Cy')");
            assertThat(row(m, 1)).containsEntry("name", "cy").containsEntry("n", 2000000000).containsEntry("shadow", 2000000000L)
                    .containsEntry("display", "Cy").containsEntry("done", true);
            MariaDbSteps.exec(c, "UPDATE users SET n = 5 WHERE id = 1");
            assertThat(row(m, 1)).containsEntry("n", 5).containsEntry("shadow", 5L).containsEntry("display", "Cy");
            // An update that leaves the new form of n as it was leaves its old form too.
            previous(m, "UPDATE users SET n = 6 WHERE id = 1");
            MariaDbSteps.exec(c, "UPDATE users SET email = 'd@x' WHERE id = 1");
            assertThat(row(m, 1)).containsEntry("n", 6).containsEntry("shadow", 6L);
        }
    }

    @Test
    void anUnknownVersionIsRefusedWithTheVersionsItKnows() throws SQLException {
        UsersMigration m = new UsersMigration("sync_unknown", "users", "001_init", List.of()).expanded();
        try (Connection c = MariaDbSteps.in(m.versionDatabase).getConnection()) {
            MariaDbSteps.exec(c, "SET @tandem_version = '003_future'");
            assertThatThrownBy(() -> MariaDbSteps.exec(c, "INSERT INTO users (full_name, n) VALUES ('x', 1)"))
                    .isInstanceOfSatisfying(SQLException.class, e -> {
                        assertThat(e.getSQLState()).isEqualTo("45000");
                        assertThat(e.getMessage()).contains("Tandem: this session claims version '003_future'")
                                .contains("'002_wide' (the new version)").contains("'001_init' or no @tandem_version");
                    });
            // Case matters: the name is compared byte for byte.
            MariaDbSteps.exec(c, "SET @tandem_version = '002_WIDE'");
            assertThatThrownBy(() -> MariaDbSteps.exec(c, "INSERT INTO users (full_name, n) VALUES ('x', 1)"))
                    .hasMessageContaining("claims version '002_WIDE'");
            // The previous version's own name is the previous version: up fills the new form.
            MariaDbSteps.exec(c, "SET @tandem_version = '001_init'");
            MariaDbSteps.exec(c, "INSERT INTO " + m.qualified() + " (name, n) VALUES ('old', 3)");
        }
        assertThat(Rows.scalar(MariaDb.dataSource(), "SELECT COUNT(*) FROM " + m.qualified())).isEqualTo(1L);
        assertThat(row(m, 1)).containsEntry("shadow", 3L).containsEntry("display", "OLD");
    }

    @Test
    void onDuplicateKeyUpdateAndReplaceThroughTheViews() throws SQLException {
        UsersMigration m = new UsersMigration("sync_upsert").expanded();
        previous(m, "INSERT INTO users (name, n) VALUES ('ada', 1)");
        try (Connection c = newVersion(m)) {
            // The duplicate-key path fires BEFORE INSERT, then BEFORE UPDATE with the row as the UPDATE clause makes it.
            MariaDbSteps.exec(c, "INSERT INTO users (id, full_name, n) VALUES (1, 'ada', 40) ON DUPLICATE KEY UPDATE n = VALUES(n)");
            assertThat(row(m, 1)).containsEntry("n", 40).containsEntry("shadow", 40L);
            // REPLACE deletes the row and inserts it again: BEFORE INSERT fills the old form.
            MariaDbSteps.exec(c, "REPLACE INTO users (id, full_name, n, display) VALUES (1, 'ada', 41, 'A')");
            assertThat(row(m, 1)).containsEntry("n", 41).containsEntry("shadow", 41L).containsEntry("display", "A");
        }
        // The previous version's upsert on the table fills the new form.
        previous(m, "INSERT INTO users (id, name, n) VALUES (1, 'ada', 42) ON DUPLICATE KEY UPDATE n = VALUES(n)");
        assertThat(row(m, 1)).containsEntry("n", 42).containsEntry("shadow", 42L);
        previous(m, "REPLACE INTO users (id, name, n) VALUES (1, 'eve', 43)");
        assertThat(row(m, 1)).containsEntry("shadow", 43L).containsEntry("display", "EVE");
    }

    @Test
    void anUpdateOfARowTheBackfillHasNotReachedFillsItFromTheOldRow() throws SQLException {
        UsersMigration m = new UsersMigration("sync_fills");
        previous(m, "INSERT INTO users (name, n, email) VALUES ('ada', 7, 'a@x'), ('bob', 8, 'b@x')");
        m.expanded();
        assertThat(row(m, 1)).containsEntry("shadow", null).containsEntry("done", null);
        // The previous version touches only the e-mail: up's inputs did not change, but the row was never filled.
        previous(m, "UPDATE users SET email = 'z@x' WHERE id = 1");
        assertThat(row(m, 1)).containsEntry("shadow", 7L).containsEntry("display", "ADA").containsEntry("done", true);
        // The backfill's own write passes through the trigger untouched and flags the row.
        MariaDb.exec(m.database, m.backfillBatch(1, 2));
        assertThat(row(m, 2)).containsEntry("shadow", 8L).containsEntry("display", "BOB").containsEntry("done", true);
    }

    /**
     * A session taken for the previous version that gives a column only the new version has a value of its own (the
     * new version's, which lost its @tandem_version) is refused, before the user's triggers run; one that names the
     * previous version is refused alike. Its write of what both versions have passes.
     */
    @Test
    void aWriteOfTheNewFormTakenForThePreviousVersionIsRefused() throws SQLException {
        String db = MariaDb.newDatabase("sync_lost");
        MariaDb.exec(db, "CREATE TABLE users (id INT AUTO_INCREMENT PRIMARY KEY, name VARCHAR(50), n INT NOT NULL,"
                + " email VARCHAR(100), seen VARCHAR(200)) ENGINE=InnoDB",
                "CREATE TRIGGER u3 BEFORE UPDATE ON users FOR EACH ROW SET NEW.seen = CONCAT_WS(',', NEW.seen, CONCAT('u3:', NEW.n))");
        UsersMigration m = UsersMigration.on(db, List.of(new Catalog.Trigger("u3", true, false, true))).expanded();
        previous(m, "INSERT INTO users (name, n) VALUES ('ada', 7)");
        try (Connection c = MariaDbSteps.in(m.versionDatabase).getConnection()) {
            assertThatThrownBy(() -> MariaDbSteps.exec(c, "UPDATE users SET n = 70 WHERE id = 1"))
                    .isInstanceOfSatisfying(SQLException.class, e -> assertThat(e.getSQLState()).isEqualTo("45000"))
                    .hasMessageContaining("sets no @tandem_version").hasMessageContaining("writes n (" + UsersMigration.SHADOW + ")")
                    .hasMessageContaining("useResetConnection");
            assertThatThrownBy(() -> MariaDbSteps.exec(c, "UPDATE users SET display = 'Ada' WHERE id = 1"))
                    .hasMessageContaining("writes display,");
            MariaDbSteps.exec(c, "UPDATE users SET email = 'a@x' WHERE id = 1");
        }
        assertThat(row(m, 1)).containsEntry("n", 7).containsEntry("shadow", 7L).containsEntry("display", "ADA");
        assertThat(Rows.scalar(MariaDb.dataSource(), "SELECT seen FROM " + m.qualified() + " WHERE id = 1")).isEqualTo("u3:7");

        UsersMigration named = new UsersMigration("sync_lost_named", "users", "001_init", List.of()).expanded();
        previous(named, "INSERT INTO users (name, n) VALUES ('bob', 8)");
        try (Connection c = MariaDbSteps.in(named.versionDatabase).getConnection()) {
            MariaDbSteps.exec(c, "SET @tandem_version = '001_init'");
            assertThatThrownBy(() -> MariaDbSteps.exec(c, "UPDATE users SET n = 80 WHERE id = 1"))
                    .hasMessageContaining("sets no @tandem_version (or '001_init')");
        }
        assertThat(row(named, 1)).containsEntry("shadow", 8L);
    }

    /**
     * The user's BEFORE triggers fire between Tandem's two: down has set the old form before they run (so they see the
     * row they were written for), up follows what they left.
     */
    @Test
    void userTriggersStillFireInOrderBetweenTandemsTwo() throws SQLException {
        String db = MariaDb.newDatabase("sync_user");
        MariaDb.exec(db, "CREATE TABLE users (id INT AUTO_INCREMENT PRIMARY KEY, name VARCHAR(50), n INT NOT NULL,"
                + " email VARCHAR(100), seen VARCHAR(200)) ENGINE=InnoDB");
        // Two user triggers in their order: the first records the n it sees, the second adds 1000 to it.
        MariaDb.exec(db, "CREATE TRIGGER u1 BEFORE INSERT ON users FOR EACH ROW SET NEW.seen = CONCAT_WS(',', NEW.seen, CONCAT('u1:', NEW.n))",
                "CREATE TRIGGER u2 BEFORE INSERT ON users FOR EACH ROW FOLLOWS u1 SET NEW.n = NEW.n + 1000",
                "CREATE TRIGGER u3 BEFORE UPDATE ON users FOR EACH ROW SET NEW.seen = CONCAT_WS(',', NEW.seen, CONCAT('u3:', NEW.n))");
        List<Catalog.Trigger> user = List.of(new Catalog.Trigger("u1", true, true, false),
                new Catalog.Trigger("u2", true, true, false), new Catalog.Trigger("u3", true, false, true));
        UsersMigration m = UsersMigration.on(db, user).expanded();

        List<Map<String, Object>> order = Rows.query(MariaDb.dataSource(), "SELECT TRIGGER_NAME AS name, EVENT_MANIPULATION AS event,"
                + " ACTION_ORDER AS pos FROM information_schema.TRIGGERS WHERE TRIGGER_SCHEMA = ? ORDER BY event, pos", db);
        assertThat(order).extracting(r -> r.get("name")).containsExactly(
                Names.syncTrigger(UsersMigration.VERSION, "users", "ins_first"), "u1", "u2",
                Names.syncTrigger(UsersMigration.VERSION, "users", "ins"),
                Names.syncTrigger(UsersMigration.VERSION, "users", "upd_first"), "u3",
                Names.syncTrigger(UsersMigration.VERSION, "users", "upd"));

        // The previous version: the user's triggers run on its row, up takes n as they left it.
        Rows.update(MariaDb.dataSource(db), "INSERT INTO users (name, n) VALUES ('old', 1)");
        assertThat(Rows.query(MariaDb.dataSource(), "SELECT n, seen, " + MariaDb.quote(UsersMigration.SHADOW)
                + " AS shadow FROM " + m.qualified() + " WHERE id = 1").get(0))
                .containsEntry("n", 1001).containsEntry("seen", "u1:1").containsEntry("shadow", 1001L);
        // The new version: down gave n its value before u1 saw it; u2's change reaches the new form through up.
        try (Connection c = newVersion(m)) {
            MariaDbSteps.exec(c, "INSERT INTO users (full_name, n) VALUES ('new', 2)");
            MariaDbSteps.exec(c, "UPDATE users SET n = 3 WHERE id = 2");
        }
        assertThat(Rows.query(MariaDb.dataSource(), "SELECT n, seen, " + MariaDb.quote(UsersMigration.SHADOW)
                + " AS shadow FROM " + m.qualified() + " WHERE id = 2").get(0))
                .containsEntry("n", 3).containsEntry("seen", "u1:2,u3:3").containsEntry("shadow", 3L);
        assertThat(Rows.scalar(MariaDb.dataSource(), "SELECT " + MariaDb.quote(UsersMigration.SHADOW) + " FROM "
                + m.qualified() + " WHERE id = 2")).isEqualTo(3L);
    }

    /**
     * A changed column whose previous form has a default that draws a value (UUID() here): the new version's insert that
     * leaves it out gets that drawn value in both forms; a column the new version dropped gets its down on insert.
     */
    @Test
    void drawnDefaultsAndDroppedColumnsOnTheNewVersionsInsert() throws SQLException {
        String db = MariaDb.newDatabase("sync_drawn");
        MariaDb.exec(db, "CREATE TABLE items (id INT AUTO_INCREMENT PRIMARY KEY, code CHAR(36) NOT NULL DEFAULT (UUID()),"
                + " legacy VARCHAR(10) NOT NULL, qty INT, _tandem_new_code VARCHAR(64))");
        String shadow = "_tandem_new_code";
        var s = new Ddl.SyncTrigger(db, "items", "tandem", "f", "t", db + "_002", List.of(db),
                List.of(new Ddl.Binding("id", "id"), new Ddl.Binding("code", "code"),
                        new Ddl.Binding("legacy", "legacy"), new Ddl.Binding("qty", "qty")),
                List.of(new Ddl.Binding("id", "id"), new Ddl.Binding("code", shadow),
                        new Ddl.Binding("qty", "qty")),
                List.of(), List.of(new Ddl.Assignment(shadow, "code", null)),
                List.of(new Ddl.Assignment("code", "code", shadow)),
                List.of(new Ddl.Assignment("legacy", "CONCAT('q', qty)", null)), null, null,
                List.of(new Ddl.Assignment(shadow, "code", null)), "002", null, List.of());
        var ddl = new MariaDbDdl();
        MariaDbSteps.run(ddl.createSyncTrigger(s));
        MariaDbSteps.run(ddl.createSchema(db + "_002"));
        MariaDbSteps.run(ddl.createView(db + "_002", "items", db, "items", List.of(new Ddl.ViewColumn("id", "id"),
                new Ddl.ViewColumn(shadow, "code"), new Ddl.ViewColumn("qty", "qty")), true));
        try (Connection c = MariaDbSteps.in(db + "_002").getConnection()) {
            MariaDbSteps.exec(c, "SET @tandem_version = '002'");
            MariaDbSteps.exec(c, "INSERT INTO items (qty) VALUES (4)");
            MariaDbSteps.exec(c, "INSERT INTO items (code, qty) VALUES ('given', 5)");
        }
        List<Map<String, Object>> rows = Rows.query(MariaDb.dataSource(db), "SELECT code, " + shadow + " AS shadow, legacy FROM items ORDER BY id");
        assertThat(rows.get(0).get("code")).asString().hasSize(36).isEqualTo(rows.get(0).get("shadow"));
        assertThat(rows.get(0)).containsEntry("legacy", "q4");
        assertThat(rows.get(1)).containsEntry("code", "given").containsEntry("shadow", "given").containsEntry("legacy", "q5");
        // Why an AUTO_INCREMENT column cannot be a drawn default: a BEFORE INSERT trigger sees 0, not the value it gets.
        MariaDb.exec(db, "CREATE TABLE seen (id INT AUTO_INCREMENT PRIMARY KEY, copy INT)",
                "CREATE TRIGGER seen_copy BEFORE INSERT ON seen FOR EACH ROW SET NEW.copy = NEW.id",
                "INSERT INTO seen () VALUES ()");
        assertThat(Rows.query(MariaDb.dataSource(db), "SELECT id, copy FROM seen").get(0)).containsEntry("id", 1).containsEntry("copy", 0);
    }

    @Test
    void dropSyncTriggerRemovesEveryTriggerItMayHaveMadeAndCanRunTwice() {
        UsersMigration m = new UsersMigration("sync_drop").expanded();
        MariaDbSteps.run(m.ddl.dropSyncTrigger(m.syncTrigger()));
        MariaDbSteps.run(m.ddl.dropSyncTrigger(m.syncTrigger()));
        assertThat(Rows.scalar(MariaDb.dataSource(), "SELECT COUNT(*) FROM information_schema.TRIGGERS WHERE TRIGGER_SCHEMA = ?",
                m.database)).isEqualTo(0L);
        // Without them the previous version's insert no longer fills the new form.
        previous(m, "INSERT INTO users (name, n) VALUES ('ada', 1)");
        assertThat(row(m, 1)).containsEntry("shadow", null);
    }

    @Test
    void namesAreQuotedEverywhere() throws SQLException {
        String table = "we`ird 'users\\";
        UsersMigration m = new UsersMigration("sync_quote", table, null, List.of()).expanded();
        previous(m, "INSERT INTO " + MariaDb.quote(table) + " (name, n) VALUES ('ada', 5)");
        try (Connection c = newVersion(m)) {
            MariaDbSteps.exec(c, "INSERT INTO " + MariaDb.quote(table) + " (full_name, n) VALUES ('bo', 6)");
            MariaDbSteps.exec(c, "SET @tandem_version = 'x'");
            assertThatThrownBy(() -> MariaDbSteps.exec(c, "INSERT INTO " + MariaDb.quote(table) + " (full_name, n) VALUES ('bo', 6)"))
                    .hasMessageContaining("table `" + m.database + "`.`we``ird 'users\\`");
        }
        assertThat(row(m, 1)).containsEntry("shadow", 5L);
        assertThat(row(m, 2)).containsEntry("n", 6);
    }
}
