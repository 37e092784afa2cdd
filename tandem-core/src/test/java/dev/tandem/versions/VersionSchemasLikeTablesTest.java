package dev.tandem.versions;

import dev.tandem.Tandem;
import dev.tandem.testing.Migrations;
import dev.tandem.testing.Pg;
import dev.tandem.testing.Rows;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * What applications run against their tables works the same through their version schema (case:
 * version-schema-is-not-a-table), and a session is the version whose view PostgreSQL resolved its statement to
 * (case: both-version-schemas-in-path).
 */
class VersionSchemasLikeTablesTest {
    @TempDir
    Path dir;
    String schema;
    Tandem tandem;
    Migrations files;

    @BeforeEach
    void setUp() {
        schema = Pg.newSchema("likeTables");
        files = new Migrations(dir);
        tandem = Tandem.configure().dataSource(Pg.dataSource()).migrations(dir).schema(schema).load();
    }

    private String path(String... versions) {
        StringBuilder p = new StringBuilder();
        for (String v : versions) p.append('"').append(schema).append('_').append(v).append("\", ");
        return p + "\"" + schema + "\"";
    }

    @Test
    void defaultInUpdateAndOnConflictTakesTheColumnDefaultThroughTheView() {
        files.write("001_init.yaml", """
                operations:
                  - create_table:
                      table: t
                      columns:
                        - {name: id, type: integer, primary_key: true}
                        - {name: n, type: integer, nullable: false, default: "7"}
                        - {name: v, type: text}
                """);
        tandem.migrate();
        var app = Pg.dataSource(path("001_init"));
        Rows.update(app, "INSERT INTO t (id, v) VALUES (1, 'a'), (2, 'b')");
        Rows.update(app, "UPDATE t SET n = 1");
        Rows.update(app, "UPDATE t SET n = DEFAULT WHERE id = 1");
        Rows.update(app, "INSERT INTO t (id, v) VALUES (2, 'c') ON CONFLICT (id) DO UPDATE SET n = DEFAULT, v = excluded.v");
        assertThat(Rows.query(app, "SELECT id, n, v FROM t ORDER BY id")).containsExactly(
                Map.of("id", 1, "n", 7, "v", "a"), Map.of("id", 2, "n", 7, "v", "c"));
    }

    @Test
    void aChangedDefaultIsEachVersionsOwn() {
        files.write("001_init.yaml", """
                operations:
                  - create_table:
                      table: t
                      columns:
                        - {name: id, type: integer, primary_key: true}
                        - {name: n, type: integer, nullable: false, default: "7"}
                """);
        tandem.migrate();
        files.write("002_n.yaml", """
                operations:
                  - alter_column: {table: t, column: n, type: bigint, default: "8", up: "n", down: "n::integer"}
                """);
        tandem.expand();
        var old = Pg.dataSource(path("001_init"));
        var next = Pg.dataSource(path("002_n"));
        Rows.update(old, "INSERT INTO t (id) VALUES (1)");
        Rows.update(next, "INSERT INTO t (id) VALUES (2)");
        Rows.update(old, "UPDATE t SET n = 0");
        Rows.update(old, "UPDATE t SET n = DEFAULT WHERE id = 1");
        Rows.update(next, "UPDATE t SET n = DEFAULT WHERE id = 2");
        assertThat(Rows.query(old, "SELECT id, n FROM t ORDER BY id")).containsExactly(
                Map.of("id", 1, "n", 7), Map.of("id", 2, "n", 8));
        assertThat(Rows.query(next, "SELECT id, n FROM t ORDER BY id")).containsExactly(
                Map.of("id", 1, "n", 7L), Map.of("id", 2, "n", 8L));
    }

    @Test
    void bothVersionSchemasInThePathWriteAsTheOneListedFirst() {
        files.write("001_init.yaml", """
                operations:
                  - create_table:
                      table: u
                      columns:
                        - {name: id, type: integer, primary_key: true}
                        - {name: name, type: text, nullable: false}
                """);
        tandem.migrate();
        files.write("002_email.yaml", """
                operations:
                  - add_column:
                      table: u
                      column: {name: email, type: text, nullable: false}
                      up: "lower(name) || '@example.org'"
                """);
        tandem.expand();
        // PostgreSQL resolves u to the previous version's view: the write is the previous version's, and up() fills email.
        Rows.update(Pg.dataSource(path("001_init", "002_email")), "INSERT INTO u VALUES (1, 'Ann')");
        // Listed the other way round it is the new version's, which must give email itself.
        Rows.update(Pg.dataSource(path("002_email", "001_init")), "INSERT INTO u VALUES (2, 'Bob', 'bob@b.org')");
        // The table's own schema first: PostgreSQL resolves u to the table, which the previous version writes.
        Rows.update(Pg.dataSource("\"" + schema + "\", \"" + schema + "_002_email\""), "INSERT INTO u (id, name) VALUES (3, 'Cy')");
        assertThat(Rows.query(Pg.dataSource(path("002_email")), "SELECT id, email FROM u ORDER BY id")).containsExactly(
                Map.of("id", 1, "email", "ann@example.org"), Map.of("id", 2, "email", "bob@b.org"),
                Map.of("id", 3, "email", "cy@example.org"));
        tandem.backfill();
        tandem.contract();
        assertThat(Rows.query(Pg.dataSource(path("002_email")), "SELECT count(*) AS n FROM u WHERE email IS NULL"))
                .isEqualTo(List.of(Map.of("n", 0L)));
    }
}
