package dev.tandem.schema;

import dev.tandem.Tandem;
import dev.tandem.testing.Migrations;
import dev.tandem.testing.Pg;
import dev.tandem.testing.Rows;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * case: cross-schema-fk — a changed column's foreign key is rebuilt on its new form pointing at the same table,
 * in whatever schema that table is, with the same ON DELETE action.
 */
class ForeignKeysTest {
    @TempDir
    Path dir;

    @Test
    void aForeignKeyToAnotherSchemaKeepsPointingThere() {
        String app = Pg.newSchema("fk_app");
        String other = Pg.newSchema("fk_other");
        Pg.exec(("CREATE TABLE %2$s.p (id int PRIMARY KEY); INSERT INTO %2$s.p VALUES (7);"
                + "CREATE TABLE %1$s.c (id int PRIMARY KEY, p_id int REFERENCES %2$s.p (id) ON DELETE CASCADE);"
                // An unrelated table of the same name in the migrated schema: the copy once pointed here.
                + "CREATE TABLE %1$s.p (id int PRIMARY KEY)").formatted("\"" + app + "\"", "\"" + other + "\""));
        new Migrations(dir).write("001_p_id_bigint.yaml", """
                operations:
                  - alter_column: {table: c, column: p_id, type: bigint, up: "p_id", down: "p_id::int"}
                """);
        Tandem tandem = Tandem.configure().dataSource(Pg.dataSource()).migrations(dir).schema(app).load();
        tandem.expand();
        tandem.backfill(); // the new version is ready only then
        Rows.update(Pg.dataSource(app), "INSERT INTO c VALUES (1, 7)");
        Rows.update(Pg.dataSource(app + "_001_p_id_bigint"), "INSERT INTO c VALUES (2, 7)");
        assertThatThrownBy(() -> Rows.update(Pg.dataSource(app + "_001_p_id_bigint"), "INSERT INTO c VALUES (3, 8)"))
                .hasMessageContaining("foreign key");
        tandem.backfill();
        tandem.contract();
        assertThat(Rows.scalar(Pg.dataSource(), "SELECT pg_get_constraintdef(oid) FROM pg_constraint WHERE conrelid = ?::regclass"
                + " AND contype = 'f'", "\"" + app + "\".c")).isEqualTo("FOREIGN KEY (p_id) REFERENCES " + other + ".p(id) ON DELETE CASCADE");
        Pg.exec("DELETE FROM \"" + other + "\".p WHERE id = 7");
        assertThat(Rows.scalar(Pg.dataSource(), "SELECT count(*) FROM \"" + app + "\".c")).isEqualTo(0L);
    }
}
