package dev.tandem.schema;

import dev.tandem.Tandem;
import dev.tandem.testing.Migrations;
import dev.tandem.testing.Pg;
import dev.tandem.testing.Rows;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Privileges stay in step across migrations: a role with table privileges and one with column privileges work
 * through each version's views as they do on the table, also after a later migration adds a column; default
 * privileges the DBA set for the role Tandem runs as reach the views it creates, and a table that is renamed keeps
 * its comment, privileges, owner and storage parameters.
 */
class PrivilegesInStepTest {
    @TempDir
    Path dir;

    private static Object one(String role, String searchPath, String sql) throws SQLException {
        try (Connection c = Pg.dataSourceAs(role).getConnection(); Statement st = c.createStatement()) {
            st.execute("SET search_path TO " + searchPath);
            try (ResultSet rs = st.executeQuery(sql)) {
                return rs.next() ? rs.getObject(1) : null;
            }
        }
    }

    @Test
    void tableAndColumnPrivilegesHoldThroughEveryVersionAsColumnsAreAdded() throws Exception {
        String schema = Pg.newSchema("instep");
        String writer = schema + "_writer", reader = schema + "_reader";
        Pg.exec(("CREATE ROLE \"%2$s\" LOGIN; CREATE ROLE \"%3$s\" LOGIN;"
                + "CREATE TABLE %1$s.t (id int PRIMARY KEY, body text, secret text);"
                + "INSERT INTO %1$s.t VALUES (1, 'x', 's');"
                + "GRANT USAGE ON SCHEMA %1$s TO \"%2$s\", \"%3$s\"; GRANT SELECT, INSERT ON %1$s.t TO \"%2$s\";"
                + "GRANT SELECT (id, body) ON %1$s.t TO \"%3$s\"")
                .formatted("\"" + schema + "\"", writer, reader));
        Migrations files = new Migrations(dir).write("001_title.yaml", """
                operations:
                  - add_column: {table: t, column: {name: title, type: text}, up: "upper(body)"}
                """);
        Tandem tandem = Tandem.configure().dataSource(Pg.dataSource()).migrations(dir).schema(schema).load();
        tandem.migrate();
        String v1 = "\"" + schema + "_001_title\", \"" + schema + "\"";
        assertThat(one(writer, v1, "INSERT INTO t (id, body, title) VALUES (2, 'y', 'Y') RETURNING title")).isEqualTo("Y");
        assertThat(one(reader, v1, "SELECT body FROM t WHERE id = 1")).isEqualTo("x");

        files.write("002_extra.yaml", """
                operations:
                  - add_column: {table: t, column: {name: extra, type: integer}, up: "length(body)"}
                """);
        tandem = Tandem.configure().dataSource(Pg.dataSource()).migrations(dir).schema(schema).load();
        tandem.expand();
        tandem.backfill(); // the new version is ready only then
        String v2 = "\"" + schema + "_002_extra\", \"" + schema + "\"";
        // Both versions at once, with the rights each role had on the table.
        assertThat(one(writer, v1, "INSERT INTO t (id, body, title) VALUES (3, 'zz', 'Z') RETURNING id")).isEqualTo(3);
        assertThat(one(writer, v2, "INSERT INTO t (id, body, title, extra) VALUES (4, 'w', 'W', 9) RETURNING extra")).isEqualTo(9);
        assertThat(one(writer, v2, "SELECT extra FROM t WHERE id = 3")).isEqualTo(2);
        assertThat(one(reader, v2, "SELECT body FROM t WHERE id = 4")).isEqualTo("w");
        for (String version : new String[] {v1, v2}) {
            assertThatThrownBy(() -> one(reader, version, "SELECT secret FROM t")).hasMessageContaining("permission denied");
            assertThatThrownBy(() -> one(reader, version, "SELECT title FROM t")).hasMessageContaining("permission denied");
            assertThatThrownBy(() -> one(writer, version, "DELETE FROM t")).hasMessageContaining("permission denied");
        }
        assertThatThrownBy(() -> one(reader, v2, "SELECT extra FROM t")).hasMessageContaining("permission denied");
        tandem.backfill();
        tandem.contract();
        assertThat(one(writer, v2, "SELECT count(*) FROM t")).isEqualTo(4L);
        assertThat(one(reader, v2, "SELECT body FROM t WHERE id = 3")).isEqualTo("zz");
    }

    @Test
    void defaultPrivilegesForTheRoleTandemRunsAsReachTheViewsItCreates() throws Exception {
        String schema = Pg.newSchema("defpriv");
        String reporter = schema + "_reporter";
        Pg.exec(("CREATE ROLE \"%2$s\" LOGIN; GRANT USAGE ON SCHEMA %1$s TO \"%2$s\";"
                + "ALTER DEFAULT PRIVILEGES IN SCHEMA %1$s GRANT SELECT ON TABLES TO \"%2$s\";"
                + "CREATE TABLE %1$s.t (id int PRIMARY KEY, body text); INSERT INTO %1$s.t VALUES (1, 'x')")
                .formatted("\"" + schema + "\"", reporter));
        try {
            // The DBA's rule for everything the role Tandem runs as creates from now on, such as the next version's views.
            Pg.exec("ALTER DEFAULT PRIVILEGES GRANT SELECT ON TABLES TO \"" + reporter + "\"");
            new Migrations(dir).write("001_title.yaml", """
                    operations:
                      - rename_column: {table: t, from: body, to: text_body}
                    """);
            Tandem tandem = Tandem.configure().dataSource(Pg.dataSource()).migrations(dir).schema(schema).load();
            tandem.expand();
            tandem.backfill(); // the new version is ready only then
            String version = "\"" + schema + "_001_title\", \"" + schema + "\"";
            assertThat(one(reporter, version, "SELECT text_body FROM t")).isEqualTo("x");
            // Tandem's own grants add to the default privileges, they take nothing away.
            assertThat(Rows.scalar(Pg.dataSource(), "SELECT has_table_privilege(?, ?, 'SELECT')", reporter,
                    "\"" + schema + "_001_title\".t")).isEqualTo(true);
            tandem.contract(java.time.Duration.ZERO, true);
            assertThat(one(reporter, version, "SELECT text_body FROM t")).isEqualTo("x");
        } finally {
            Pg.exec("ALTER DEFAULT PRIVILEGES REVOKE SELECT ON TABLES FROM \"" + reporter + "\"");
        }
    }

    @Test
    void aRenamedTableKeepsItsCommentPrivilegesOwnerAndStorageParameters() throws Exception {
        String schema = Pg.newSchema("rentable");
        String owner = schema + "_owner", app = schema + "_app";
        String s = "\"" + schema + "\"";
        Pg.exec(("CREATE ROLE \"%2$s\"; CREATE ROLE \"%3$s\" LOGIN; GRANT USAGE ON SCHEMA %1$s TO \"%3$s\";"
                + "CREATE TABLE %1$s.t (id int PRIMARY KEY, body text) WITH (fillfactor = 70);"
                + "COMMENT ON TABLE %1$s.t IS 'the t'; GRANT SELECT, UPDATE ON %1$s.t TO \"%3$s\";"
                + "ALTER TABLE %1$s.t OWNER TO \"%2$s\"; INSERT INTO %1$s.t VALUES (1, 'x')")
                .formatted(s, owner, app));
        String facts = "SELECT obj_description(c.oid, 'pg_class') AS comment, c.relacl::text AS acl,"
                + " pg_get_userbyid(c.relowner) AS owner, c.reloptions::text AS options"
                + " FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = ? AND c.relname = ?";
        String before = Rows.query(Pg.dataSource(), facts, schema, "t").toString();
        assertThat(before).contains("comment=the t", "owner=" + owner, "fillfactor=70", app + "=rw/" + owner);
        new Migrations(dir).write("001_rename.yaml", "operations:\n  - rename_table: {from: t, to: things}\n");
        Tandem tandem = Tandem.configure().dataSource(Pg.dataSource()).migrations(dir).schema(schema).load();
        tandem.expand();
        assertThat(one(app, "\"" + schema + "_001_rename\", " + s, "SELECT body FROM things")).isEqualTo("x");
        tandem.backfill();
        tandem.contract();
        assertThat(Rows.query(Pg.dataSource(), facts, schema, "things").toString()).isEqualTo(before);
        assertThat(one(app, "\"" + schema + "_001_rename\", " + s, "SELECT body FROM things")).isEqualTo("x");
    }
}
