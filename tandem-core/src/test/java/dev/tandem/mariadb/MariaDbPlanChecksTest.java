package dev.tandem.mariadb;

import dev.tandem.Tandem;
import dev.tandem.migration.MigrationException;
import dev.tandem.testing.MariaDb;
import dev.tandem.testing.MariaDbServer;
import dev.tandem.testing.Migrations;
import dev.tandem.testing.Rows;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

/**
 * {@code tandem plan} and {@code tandem expand} on MariaDB, through the API: a migration whose {@code up} does not fit
 * the live table is refused at its place in the file with the server's reason, and the database is left as it was (no
 * column, no trigger, no version database), where MariaDB would have taken the trigger and failed every write after.
 */
class MariaDbPlanChecksTest {
    @TempDir
    Path dir;
    String db;
    Tandem tandem;
    Migrations files;

    @BeforeEach
    void setUp() {
        db = MariaDb.newDatabase("plan");
        MariaDb.exec(db, "CREATE TABLE users (id INT AUTO_INCREMENT PRIMARY KEY, name VARCHAR(50) NOT NULL)",
                "INSERT INTO users (name) VALUES ('ada'), ('bob')");
        files = new Migrations(dir);
        tandem = Tandem.configure().url(MariaDb.url(db), "root", MariaDbServer.PASSWORD)
                .stateSchema(MariaDb.newDatabase("state")).migrations(dir).load();
    }

    /** The managed database and its version databases as information_schema shows them. */
    private Object databaseState() {
        return List.of(
                Rows.query(MariaDb.dataSource(), "SELECT TABLE_NAME, COLUMN_NAME, COLUMN_TYPE, IS_NULLABLE FROM"
                        + " information_schema.COLUMNS WHERE TABLE_SCHEMA = ? ORDER BY 1, 2", db),
                Rows.query(MariaDb.dataSource(), "SELECT TRIGGER_NAME FROM information_schema.TRIGGERS"
                        + " WHERE EVENT_OBJECT_SCHEMA = ?", db),
                Rows.query(MariaDb.dataSource(), "SELECT SCHEMA_NAME FROM information_schema.SCHEMATA"
                        + " WHERE SCHEMA_NAME LIKE CONCAT(?, '\\_%') ORDER BY 1", db),
                Rows.query(MariaDb.dataSource(), "SELECT id, name FROM " + MariaDb.quote(db) + ".users ORDER BY id"));
    }

    @Test
    void aBadUpIsRefusedAtItsLineAndNothingChanges() {
        refusedByPlanAndExpand("""
                operations:
                  - add_column:
                      table: users
                      column: {name: email, type: varchar(100), nullable: false}
                      up: "CONCAT(nme, '@example.org')"
                """, "001_email.yaml:5", "up `CONCAT(nme, '@example.org')` is not valid",
                "Unknown column 'nme'", "the row has columns id, name");
    }

    /** With {@code yaml} as 001_email.yaml, both commands refuse with all of {@code said} and change nothing. */
    private void refusedByPlanAndExpand(String yaml, String... said) {
        Object before = databaseState();
        files.write("001_email.yaml", yaml);
        for (Runnable command : List.<Runnable>of(tandem::plan, tandem::expand)) {
            MigrationException e = catchThrowableOfType(command::run, MigrationException.class);
            assertThat(e).isNotNull();
            assertThat(e.getMessage()).contains(said);
            assertThat(databaseState()).isEqualTo(before);
        }
    }

    /** Text the migration reader (PostgreSQL's lexical rules) lets through, refused by MariaDB's before it runs. */
    @Test
    void anUpThatWouldRunAStatementInTheTriggerIsRefusedAtItsLine() {
        refusedByPlanAndExpand("""
                operations:
                  - add_column:
                      table: users
                      column: {name: email, type: varchar(100)}
                      up: "'\\\\'') ; DELETE FROM users ; SET @a = ('\\\\''"
                """, "001_email.yaml:5", "by MariaDB's rules");
    }

    @Test
    void aGoodUpPlans() {
        files.write("001_email.yaml", """
                operations:
                  - add_column:
                      table: users
                      column: {name: email, type: varchar(100), nullable: false}
                      up: "CONCAT(LOWER(name), '@example.org')"
                """);
        assertThat(tandem.plan().plan().expand()).isNotEmpty();
    }
}
