package dev.tandem.schema;

import dev.tandem.Tandem;
import dev.tandem.migration.MigrationException;
import dev.tandem.testing.Migrations;
import dev.tandem.testing.Pg;
import dev.tandem.testing.Rows;
import org.junit.jupiter.api.BeforeEach;
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
 * case: grants-and-rls — an application role that is not the owner, on a table with row-level security, works
 * through its version schema with exactly the rights it had: no lost write, no other tenant's rows.
 */
class PrivilegesTest {
    @TempDir
    Path dir;
    String schema;
    String role;
    Tandem tandem;

    @BeforeEach
    void setUp() {
        schema = Pg.newSchema("grants");
        role = schema + "_app";
        Pg.exec("CREATE ROLE \"" + role + "\" LOGIN");
        Pg.exec(("CREATE TABLE %1$s.t (id int PRIMARY KEY, tenant text NOT NULL, body text NOT NULL);"
                + "INSERT INTO %1$s.t VALUES (1, 'a', 'x'), (2, 'b', 'y');"
                + "ALTER TABLE %1$s.t ENABLE ROW LEVEL SECURITY;"
                + "CREATE POLICY p ON %1$s.t USING (tenant = current_setting('app.tenant', true));"
                + "GRANT USAGE ON SCHEMA %1$s TO %2$s; GRANT SELECT, INSERT, UPDATE ON %1$s.t TO %2$s")
                .formatted("\"" + schema + "\"", "\"" + role + "\""));
        new Migrations(dir).write("001_title.yaml", """
                operations:
                  - add_column: {table: t, column: {name: title, type: text}, up: "upper(body)"}
                """);
        tandem = Tandem.configure().dataSource(Pg.dataSource()).migrations(dir).schema(schema).load();
    }

    private Connection asApp(String searchPath) throws SQLException {
        Connection c = Pg.dataSourceAs(role).getConnection();
        try (Statement st = c.createStatement()) {
            st.execute("SET search_path TO " + searchPath);
            st.execute("SET app.tenant = 'a'");
        }
        return c;
    }

    private static Object one(Connection c, String sql) throws SQLException {
        try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery(sql)) {
            rs.next();
            return rs.getObject(1);
        }
    }

    @Test
    void aRoleThatIsNotTheOwnerWritesThroughItsVersionWithTheRightsItHad() throws Exception {
        if (serverVersion() < 150000) {
            assertThatThrownBy(tandem::expand).isInstanceOf(MigrationException.class)
                    .hasMessageContaining("row-level security").hasMessageContaining("PostgreSQL 15");
            return;
        }
        tandem.expand();
        tandem.backfill(); // the new version is ready only then
        try (Connection c = asApp("\"" + schema + "_001_title\", \"" + schema + "\"")) {
            assertThat(one(c, "INSERT INTO t (id, tenant, body, title) VALUES (3, 'a', 'z', 'my title') RETURNING title"))
                    .isEqualTo("my title");
            assertThat(one(c, "SELECT count(*) FROM t")).isEqualTo(2L);
            try (Statement st = c.createStatement()) {
                assertThat(st.executeUpdate("UPDATE t SET body = 'stolen' WHERE id = 2")).isZero();
                assertThatThrownBy(() -> st.executeUpdate("DELETE FROM t WHERE id = 1")).isInstanceOf(SQLException.class)
                        .hasMessageContaining("permission denied");
            }
        }
        assertThat(Rows.scalar(Pg.dataSource(), "SELECT title FROM \"" + schema + "\".t WHERE id = 3")).isEqualTo("my title");
        assertThat(Rows.scalar(Pg.dataSource(), "SELECT body FROM \"" + schema + "\".t WHERE id = 2")).isEqualTo("y");
    }

    @Test
    void aSessionThatCannotUseItsVersionSchemaIsRefusedNotTranslated() throws Exception {
        if (serverVersion() < 150000) return;
        tandem.expand();
        // Before the backfill completes the schema does not exist: a session asking for it is told the version is not ready.
        try (Connection c = asApp("\"" + schema + "_001_title\", \"" + schema + "\"")) {
            assertThatThrownBy(() -> one(c, "INSERT INTO t (id, tenant, body) VALUES (4, 'a', 'w') RETURNING id"))
                    .isInstanceOf(SQLException.class).hasMessageContaining("which this session cannot use")
                    .hasMessageContaining("not ready until `tandem backfill` completes");
        }
        tandem.backfill();
        Pg.exec("REVOKE USAGE ON SCHEMA \"" + schema + "_001_title\" FROM \"" + role + "\"");
        try (Connection c = asApp("\"" + schema + "_001_title\", \"" + schema + "\"")) {
            assertThatThrownBy(() -> one(c, "INSERT INTO t (id, tenant, body) VALUES (4, 'a', 'w') RETURNING id"))
                    .isInstanceOf(SQLException.class).hasMessageContaining("which this session cannot use");
        }
        // The previous version, which does not name the new schema, writes as before.
        try (Connection c = asApp("\"" + schema + "\"")) {
            assertThat(one(c, "INSERT INTO t (id, tenant, body) VALUES (5, 'a', 'v') RETURNING id")).isEqualTo(5);
        }
        assertThat(Rows.scalar(Pg.dataSource(), "SELECT title FROM \"" + schema + "\".t WHERE id = 5")).isEqualTo("V");
    }

    /** A column privilege the role also holds on the whole table adds nothing, and is no reason to refuse (newcomer). */
    @Test
    void aRedundantColumnGrantOnARowSecurityTableIsNoReasonToRefuse() {
        if (serverVersion() < 150000) return;
        Pg.exec("GRANT UPDATE (body) ON \"" + schema + "\".t TO \"" + role + "\"");
        assertThat(tandem.plan().plan().expand()).isNotEmpty();
        Pg.exec("REVOKE UPDATE ON \"" + schema + "\".t FROM \"" + role + "\"; GRANT UPDATE (body) ON \"" + schema
                + "\".t TO \"" + role + "\"");
        assertThatThrownBy(tandem::plan).isInstanceOf(MigrationException.class).hasMessageContaining("some of its columns only");
    }

    private static int serverVersion() {
        return ((Number) Rows.scalar(Pg.dataSource(), "SELECT current_setting('server_version_num')::int")).intValue();
    }

    /** Column privileges hold through the version's view, under the column's new name, and no further. */
    @Test
    void columnPrivilegesCarryToTheViewUnderTheNewNames() throws Exception {
        String s2 = Pg.newSchema("colgrants");
        String r2 = s2 + "_app";
        Pg.exec(("CREATE ROLE %2$s LOGIN; CREATE TABLE %1$s.t (id int PRIMARY KEY, pub text, secret text);"
                + "INSERT INTO %1$s.t VALUES (1, 'p', 's'); GRANT USAGE ON SCHEMA %1$s TO %2$s;"
                + "GRANT SELECT (id, pub) ON %1$s.t TO %2$s; GRANT UPDATE (pub) ON %1$s.t TO %2$s")
                .formatted("\"" + s2 + "\"", "\"" + r2 + "\""));
        new Migrations(dir).write("001_title.yaml", "operations:\n  - rename_column: {table: t, from: pub, to: public_text}\n");
        Tandem.configure().dataSource(Pg.dataSource()).migrations(dir).schema(s2).load().expand();
        try (Connection c = Pg.dataSourceAs(r2).getConnection(); Statement st = c.createStatement()) {
            st.execute("SET search_path TO \"" + s2 + "_001_title\", \"" + s2 + "\"");
            assertThat(one(c, "SELECT public_text FROM t WHERE id = 1")).isEqualTo("p");
            assertThat(st.executeUpdate("UPDATE t SET public_text = 'q' WHERE id = 1")).isEqualTo(1);
            assertThatThrownBy(() -> one(c, "SELECT secret FROM t")).isInstanceOf(SQLException.class)
                    .hasMessageContaining("permission denied");
        }
    }
}
