package dev.tandem.versions;

import dev.tandem.Tandem;
import dev.tandem.testing.Migrations;
import dev.tandem.testing.Pg;
import dev.tandem.testing.Rows;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.math.BigDecimal;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * An update of the previous version that leaves up()'s inputs as they were keeps what the new version wrote into its
 * own columns (found by a newcomer on README's tutorial: the old version's `UPDATE users SET enabled = ...` reset the
 * e-mail the new version had set to lower(name) || '@example.org').
 */
class NoOverwriteTest {
    @TempDir
    Path dir;

    @Test
    void theNewVersionsOwnValuesSurviveThePreviousVersionsUnrelatedUpdates() {
        String schema = Pg.newSchema("nooverwrite");
        Pg.exec("CREATE TABLE \"" + schema + "\".t (id int PRIMARY KEY, name text NOT NULL, enabled int NOT NULL,"
                + " price numeric(10,2) NOT NULL); INSERT INTO \"" + schema + "\".t VALUES (1, 'Alice', 1, 1.50), (2, 'Bob', 1, 2.50)");
        new Migrations(dir).write("001_change.yaml", """
                operations:
                  - add_column: {table: t, column: {name: email, type: text, nullable: false}, up: "lower(name) || '@example.org'"}
                  - alter_column: {table: t, column: price, type: "numeric(14,4)", up: "price", down: "price"}
                """);
        Tandem tandem = Tandem.configure().dataSource(Pg.dataSource()).migrations(dir).schema(schema).load();
        tandem.expand();
        tandem.backfill();
        var previous = Pg.dataSource("\"" + schema + "\"");
        var next = Pg.dataSource("\"" + schema + "_001_change\", \"" + schema + "\"");
        Rows.update(next, "UPDATE t SET email = 'alice@corp.example', price = 1.2345 WHERE id = 1");
        Rows.update(previous, "UPDATE t SET enabled = 0 WHERE id = 1");
        Rows.update(previous, "UPDATE t SET name = name WHERE id = 1");
        // An update of an input recomputes, as the migration says.
        Rows.update(previous, "UPDATE t SET name = 'Robert', price = 3.00 WHERE id = 2");
        assertThat(Rows.query(next, "SELECT id, email, price FROM t ORDER BY id")).extracting(r -> r.get("email") + " " + r.get("price"))
                .containsExactly("alice@corp.example 1.2345", "robert@example.org 3.0000");
        tandem.contract();
        assertThat(Rows.scalar(next, "SELECT price FROM t WHERE id = 1")).isEqualTo(new BigDecimal("1.2345"));
    }
}
