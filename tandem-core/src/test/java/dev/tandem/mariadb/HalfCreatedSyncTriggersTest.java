package dev.tandem.mariadb;

import dev.tandem.Tandem;
import dev.tandem.engine.Names;
import dev.tandem.testing.MariaDb;
import dev.tandem.testing.Migrations;
import dev.tandem.testing.Rows;
import dev.tandem.testing.TestDatabase;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;

import static dev.tandem.testing.MariaDb.quote;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The expand step that creates a table's sync triggers on MariaDB is several statements, each taking the table's lock
 * and committing on its own: a probe that gets the lock for the first and not for the next leaves the first trigger
 * alone until a later attempt, or run, creates the rest, which under busy writers takes seconds or, when the step gives
 * up, lasts until expand runs again. Whatever the step leaves, the previous version's writes must reach the new form.
 */
class HalfCreatedSyncTriggersTest {
    private static final TestDatabase db = TestDatabase.MARIADB;
    private static final String VERSION = "002_qty_bigint";

    @TempDir
    Path dir;

    private static final String WIDEN = """
            operations:
              - alter_column: {table: items, column: qty, type: bigint, up: qty, down: qty}
            """;

    @Test
    void writesMadeWhileOnlyOneSyncTriggerExistsReachTheNewForm() throws Exception {
        // The step stops after whichever trigger it creates first, as a probe that lost the second lock does: the
        // other's name is taken (by a trigger on another table), so its statement fails. Both orders are tried.
        for (String missing : new String[]{"upd", "ins"}) {
            String schema = db.newSchema("halftrig");
            Path migrations = java.nio.file.Files.createDirectories(dir.resolve(missing));
            new Migrations(migrations).write("001_init.yaml", Migrations.ITEMS_ID_QTY);
            db.tandem(schema).migrations(migrations).load().migrate();
            String blocker = quote(Names.syncTrigger(VERSION, "items", missing));
            MariaDb.exec(schema, "INSERT INTO items SELECT seq, seq FROM seq_1_to_100", "CREATE TABLE other (id INT)",
                    "CREATE TRIGGER " + blocker + " BEFORE INSERT ON other FOR EACH ROW SET @x = 1");
            new Migrations(migrations).write("002_qty_bigint.yaml", WIDEN);
            Tandem tandem = db.tandem(schema).migrations(migrations).load();
            assertThatThrownBy(tandem::expand).as(missing).hasMessageContaining("create sync trigger ");

            // The previous version meanwhile: a new row, then a change to it and to an existing row.
            MariaDb.exec(schema, "INSERT INTO items (id, qty) VALUES (1000, 1)", "UPDATE items SET qty = 2 WHERE id = 1000",
                    "UPDATE items SET qty = 7000 WHERE id = 7");

            MariaDb.exec(schema, "DROP TRIGGER " + blocker);
            tandem.expand();
            tandem.backfill();
            tandem.contract(Duration.ZERO, true);
            assertThat(((Number) Rows.scalar(db.application(schema, VERSION), "SELECT qty FROM items WHERE id = 1000")).longValue())
                    .as("updated while the %s trigger was missing", missing).isEqualTo(2L);
            assertThat(((Number) Rows.scalar(db.application(schema, VERSION), "SELECT qty FROM items WHERE id = 7")).longValue())
                    .isEqualTo(7000L);
        }
    }
}
