package dev.tandem.versions;

import dev.tandem.Tandem;
import dev.tandem.testing.Migrations;
import dev.tandem.testing.Pg;
import dev.tandem.testing.Rows;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

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
        tandem.backfill(); // the new version is ready only then
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
        tandem.backfill(); // the new version is ready only then
        // PostgreSQL resolves u to the previous version's view: the write is the previous version's, and up() fills email.
        Rows.update(Pg.dataSource(path("001_init", "002_email")), "INSERT INTO u VALUES (1, 'Ann')");
        // Listed the other way round it is the new version's, which must give email itself.
        Rows.update(Pg.dataSource(path("002_email", "001_init")), "INSERT INTO u VALUES (2, 'Bob', 'bob@b.org')");
        // The table's own schema first: PostgreSQL resolves u to the table, which the previous version writes.
        Rows.update(Pg.dataSource("\"" + schema + "\", \"" + schema + "_002_email\""), "INSERT INTO u (id, name) VALUES (3, 'Cy')");
        assertThat(Rows.query(Pg.dataSource(path("002_email")), "SELECT id, email FROM u ORDER BY id")).containsExactly(
                Map.of("id", 1, "email", "ann@example.org"), Map.of("id", 2, "email", "bob@b.org"),
                Map.of("id", 3, "email", "cy@example.org"));
        tandem.contract();
        assertThat(Rows.query(Pg.dataSource(path("002_email")), "SELECT count(*) AS n FROM u WHERE email IS NULL"))
                .isEqualTo(List.of(Map.of("n", 0L)));
    }

    @Test
    void whatApplicationsRunOnTablesWorksThroughTheVersionSchemaOrIsRefusedAsDocumented() throws Exception {
        Pg.exec("CREATE TYPE \"" + schema + "\".mood AS ENUM ('ok', 'meh');"
                + "CREATE FUNCTION \"" + schema + "\".twice(i int) RETURNS int LANGUAGE sql IMMUTABLE AS 'SELECT 2 * i';"
                + "CREATE SEQUENCE \"" + schema + "\".tickets");
        files.write("001_init.yaml", """
                operations:
                  - create_table:
                      table: t
                      columns:
                        - {name: id, type: integer, primary_key: true}
                        - {name: code, type: text, unique: true}
                        - {name: n, type: integer, nullable: false, default: "0"}
                """);
        tandem.migrate();
        files.write("002_note.yaml", """
                operations:
                  - add_column: {table: t, column: {name: note, type: text}}
                """);
        tandem.expand();
        try (Connection c = Pg.dataSource(path("002_note")).getConnection(); Statement st = c.createStatement()) {
            // Types, functions and sequences of the managed schema by their bare names.
            st.execute("INSERT INTO t (id, code, n) VALUES (nextval('tickets'), 'a', twice(2))");
            assertThat(scalar(st, "SELECT 'ok'::mood::text")).isEqualTo("ok");
            // ON CONFLICT on the primary key and on another unique index, RETURNING, a writable CTE.
            assertThat(scalar(st, "INSERT INTO t (id, code) VALUES (1, 'b') ON CONFLICT (id) DO UPDATE SET n = t.n + 1 RETURNING n"))
                    .isEqualTo(5);
            assertThat(scalar(st, "INSERT INTO t (id, code) VALUES (2, 'b') ON CONFLICT (code) DO NOTHING RETURNING id")).isEqualTo(2);
            assertThat(scalar(st, "WITH moved AS (UPDATE t SET note = 'moved' WHERE id = 2 RETURNING id) SELECT count(*) FROM moved"))
                    .isEqualTo(1L);
            c.setAutoCommit(false);
            st.execute("LOCK TABLE t IN SHARE ROW EXCLUSIVE MODE");
            assertThat(scalar(st, "SELECT id FROM t WHERE id = 1 FOR UPDATE")).isEqualTo(1);
            assertThat(scalar(st, "SELECT id FROM t WHERE id = 2 FOR SHARE")).isEqualTo(2);
            c.commit();
            c.setAutoCommit(true);
            // MERGE into a view: PostgreSQL 17 and later.
            String merge = "MERGE INTO t USING (SELECT 1 AS id) s ON t.id = s.id WHEN MATCHED THEN UPDATE SET n = 9";
            if (Integer.parseInt((String) Rows.scalar(Pg.dataSource(), "SHOW server_version_num")) >= 170000) {
                st.execute(merge);
                assertThat(scalar(st, "SELECT n FROM t WHERE id = 1")).isEqualTo(9);
            } else {
                assertThatThrownBy(() -> st.execute(merge)).isInstanceOf(SQLException.class);
            }
            // What PostgreSQL refuses on any view, as README says, and the ways around it it names.
            assertThatThrownBy(() -> st.execute("TRUNCATE t")).isInstanceOf(SQLException.class);
            var copy = new org.postgresql.copy.CopyManager(c.unwrap(org.postgresql.core.BaseConnection.class));
            assertThatThrownBy(() -> copy.copyIn("COPY t (id, code) FROM STDIN", new java.io.StringReader("3\tc\n")))
                    .isInstanceOf(SQLException.class).hasMessageContaining("view");
            assertThatThrownBy(() -> copy.copyOut("COPY t TO STDOUT", new java.io.StringWriter()))
                    .isInstanceOf(SQLException.class).hasMessageContaining("view");
            st.execute("CREATE TEMPORARY TABLE incoming (id int, code text)");
            copy.copyIn("COPY incoming FROM STDIN", new java.io.StringReader("3\tc\n"));
            st.execute("INSERT INTO t (id, code) SELECT id, code FROM incoming");
            java.io.StringWriter out = new java.io.StringWriter();
            copy.copyOut("COPY (SELECT id, code FROM t ORDER BY id) TO STDOUT", out);
            assertThat(out.toString()).isEqualTo("1\ta\n2\tb\n3\tc\n");
            // A prepared statement keeps working across the contract that changes the table under its view.
            try (var ps = c.prepareStatement("SELECT n, note FROM t WHERE id = ?")) {
                ps.setInt(1, 2);
                for (int i = 0; i < 6; i++) ps.executeQuery().close(); // past pgjdbc's server-side prepare threshold
                tandem.contract();
                try (var rs = ps.executeQuery()) {
                    rs.next();
                    assertThat(rs.getString("note")).isEqualTo("moved");
                }
            }
        }
    }

    private static Object scalar(Statement st, String sql) throws SQLException {
        try (var rs = st.executeQuery(sql)) {
            rs.next();
            return rs.getObject(1);
        }
    }
}
