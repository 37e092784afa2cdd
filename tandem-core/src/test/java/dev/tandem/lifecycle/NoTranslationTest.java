package dev.tandem.lifecycle;

import dev.tandem.Tandem;
import dev.tandem.testing.Migrations;
import dev.tandem.testing.Pg;
import dev.tandem.testing.Rows;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A migration that needs no translation between the versions creates no sync trigger: every application write
 * would pay a PL/pgSQL call for nothing.
 */
class NoTranslationTest {
    @TempDir
    Path dir;

    @Test
    void renamesNullableAddsAndDropsWithoutDownCreateNoTrigger() {
        String schema = Pg.newSchema("no_sync");
        Pg.exec("CREATE TABLE \"" + schema + "\".t (id int PRIMARY KEY, a text, b text, c int)");
        new Migrations(dir).write("001_shape.yaml", """
                operations:
                  - rename_column: {table: t, from: a, to: title}
                  - drop_column: {table: t, column: b}
                  - add_column: {table: t, column: {name: note, type: text}}
                  - create_index: {name: t_c_idx, table: t, columns: [c]}
                """);
        Tandem tandem = Tandem.configure().dataSource(Pg.dataSource()).migrations(dir).schema(schema).load();
        tandem.expand();
        assertThat(Rows.scalar(Pg.dataSource(), "SELECT count(*) FROM pg_trigger WHERE tgrelid = ?::regclass AND NOT tgisinternal",
                "\"" + schema + "\".t")).isEqualTo(0L);
        // Both versions still write and read each other's rows.
        Rows.update(Pg.dataSource(schema), "INSERT INTO t (id, a, b, c) VALUES (1, 'old', 'x', 1)");
        Rows.update(Pg.dataSource(schema + "_001_shape"), "INSERT INTO t (id, title, note, c) VALUES (2, 'new', 'n', 2)");
        assertThat(Rows.scalar(Pg.dataSource(schema + "_001_shape"), "SELECT title FROM t WHERE id = 1")).isEqualTo("old");
        assertThat(Rows.scalar(Pg.dataSource(schema), "SELECT a FROM t WHERE id = 2")).isEqualTo("new");
        assertThat(Rows.scalar(Pg.dataSource(schema), "SELECT b FROM t WHERE id = 2")).isNull();
        tandem.migrate();
        assertThat(Rows.query(Pg.dataSource(), "SELECT id, title, c, note FROM \"" + schema + "\".t ORDER BY id")).hasSize(2);
    }

    /** case: nullable-without-down — the old version's column is still NOT NULL, so plan asks for `down`. */
    @Test
    void aColumnBecomingNullableNeedsDownAndWorksWithIt() {
        String schema = Pg.newSchema("nullable");
        Pg.exec("CREATE TABLE \"" + schema + "\".t (id int PRIMARY KEY, name text NOT NULL)");
        new Migrations(dir).write("001_name_optional.yaml", """
                operations:
                  - alter_column: {table: t, column: name, nullable: true}
                """);
        Tandem tandem = Tandem.configure().dataSource(Pg.dataSource()).migrations(dir).schema(schema).load();
        org.assertj.core.api.Assertions.assertThatThrownBy(tandem::plan)
                .isInstanceOf(dev.tandem.migration.MigrationException.class)
                .hasMessageContaining("001_name_optional.yaml:2")
                .hasMessageContaining("becomes nullable").hasMessageContaining("give `down`");
        new Migrations(dir).write("001_name_optional.yaml", """
                operations:
                  - alter_column: {table: t, column: name, nullable: true, down: "coalesce(name, '')"}
                """);
        tandem.expand();
        tandem.backfill(); // the new version is ready only then
        Rows.update(Pg.dataSource(schema + "_001_name_optional"), "INSERT INTO t VALUES (1, NULL)");
        assertThat(Rows.scalar(Pg.dataSource(schema), "SELECT name FROM t WHERE id = 1")).isEqualTo("");
        tandem.migrate();
        assertThat(Rows.scalar(Pg.dataSource(), "SELECT name FROM \"" + schema + "\".t WHERE id = 1")).isNull();
    }
}
