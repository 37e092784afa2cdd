package dev.tandem.schema;

import dev.tandem.Tandem;
import dev.tandem.engine.Plan;
import dev.tandem.migration.MigrationException;
import dev.tandem.testing.CatalogSnapshot;
import dev.tandem.testing.Migrations;
import dev.tandem.testing.Pg;
import dev.tandem.testing.Rows;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import javax.sql.DataSource;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.Map;
import java.util.TreeMap;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * case: carry-checks-and-policies — CHECK constraints and row-level security policies over a column whose type
 * changes are carried to its new form: a check holds for the new version's writes from expand on and reads the
 * same after contract; a policy is pointed at the new form in contract's transaction and still hides other rows.
 * What cannot be carried is refused at plan, naming it, with nothing changed.
 */
class CarriedChecksAndPoliciesTest {
    @TempDir
    Path dir;

    @Test
    void checksOverTheChangedColumnAreCarriedOnlyTheChangedColumnRenamed() {
        String schema = Pg.newSchema("carry_chk");
        String t = "\"" + schema + "\".t";
        Pg.exec("CREATE TABLE " + t + " (id int PRIMARY KEY, n int NOT NULL CHECK (n >= 0), cap int NOT NULL DEFAULT 100,"
                + " CONSTRAINT n_below_cap CHECK (n <= cap));"
                + "ALTER TABLE " + t + " ADD CONSTRAINT n_small CHECK (n < 1000000) NOT VALID;"
                + "INSERT INTO " + t + " (id, n) VALUES (1, 1), (2, 50)");
        Map<String, Object> before = CarriedIndexesTest.constraints(schema);
        new Migrations(dir).write("001_n_bigint.yaml", """
                operations:
                  - alter_column: {table: t, column: n, type: bigint, up: "n", down: "n::int"}
                """);
        Tandem tandem = Tandem.configure().dataSource(Pg.dataSource()).migrations(dir).schema(schema).load();
        assertThat(tandem.plan().plan().carried()).extracting(Plan.Carried::object)
                .contains("CHECK constraint \"t_n_check\" on t", "CHECK constraint \"n_below_cap\" on t");
        tandem.expand();
        tandem.backfill(); // the new version is ready only then
        DataSource newVersion = Pg.dataSource(schema + "_001_n_bigint");
        // From expand on, the new version's writes meet the checks, on the new form too.
        assertThatThrownBy(() -> Rows.update(newVersion, "INSERT INTO t (id, n) VALUES (3, -1)")).hasMessageContaining("t_n_check");
        assertThatThrownBy(() -> Rows.update(newVersion, "INSERT INTO t (id, n, cap) VALUES (4, 20, 10)")).hasMessageContaining("n_below_cap");
        Rows.update(newVersion, "INSERT INTO t (id, n) VALUES (5, 7)");
        Rows.update(Pg.dataSource(schema), "INSERT INTO t (id, n) VALUES (6, 8)");
        tandem.backfill();
        tandem.contract();
        assertThat(CarriedIndexesTest.constraints(schema)).isEqualTo(before);
        assertThatThrownBy(() -> Pg.exec("INSERT INTO " + t + " (id, n) VALUES (7, -5)")).hasMessageContaining("t_n_check");
        assertThatThrownBy(() -> Pg.exec("UPDATE " + t + " SET cap = 0 WHERE id = 1")).hasMessageContaining("n_below_cap");
    }

    @Test
    void aPolicyOverTheChangedColumnStillHidesOtherOwnersRows() throws Exception {
        String schema = Pg.newSchema("carry_pol");
        String role = schema + "_app";
        String t = "\"" + schema + "\".docs";
        Pg.exec("CREATE ROLE \"" + role + "\" LOGIN;"
                + "CREATE TABLE " + t + " (id int PRIMARY KEY, owner varchar(40) NOT NULL, body text);"
                + "INSERT INTO " + t + " VALUES (1, '" + role + "', 'mine'), (2, 'someone', 'theirs');"
                + "ALTER TABLE " + t + " ENABLE ROW LEVEL SECURITY;"
                + "CREATE POLICY own ON " + t + " USING (owner = CURRENT_USER) WITH CHECK (owner = CURRENT_USER AND id > 0);"
                + "CREATE POLICY unrelated ON " + t + " FOR DELETE USING (id > 100);"
                + "GRANT USAGE ON SCHEMA \"" + schema + "\" TO \"" + role + "\"; GRANT SELECT, INSERT, UPDATE ON " + t
                + " TO \"" + role + "\"");
        Map<String, Object> before = policies(t);
        new Migrations(dir).write("001_owner_wider.yaml", """
                operations:
                  - alter_column: {table: docs, column: owner, type: "varchar(80)", up: "owner", down: "owner::varchar(40)"}
                """);
        Tandem tandem = Tandem.configure().dataSource(Pg.dataSource()).migrations(dir).schema(schema).load();
        if (Rows.query(Pg.dataSource(), "SHOW server_version_num").get(0).values().iterator().next().toString().compareTo("150000") < 0) {
            assertThatThrownBy(tandem::expand).isInstanceOf(MigrationException.class).hasMessageContaining("PostgreSQL 15");
            return;
        }
        Plan plan = tandem.plan().plan();
        assertThat(plan.carried()).extracting(Plan.Carried::object).contains("policy \"own\" on docs")
                .doesNotContain("policy \"unrelated\" on docs");
        tandem.expand();
        tandem.backfill(); // the new version is ready only then
        try (Connection c = Pg.dataSourceAs(role).getConnection(); Statement st = c.createStatement()) {
            st.execute("SET search_path TO \"" + schema + "_001_owner_wider\"");
            st.execute("INSERT INTO docs VALUES (3, '" + role + "', 'new')");
            assertThat(count(st, "SELECT count(*) FROM docs")).isEqualTo(2);
            assertThatThrownBy(() -> st.execute("INSERT INTO docs VALUES (4, 'someone', 'forged')"))
                    .hasMessageContaining("row-level security");
        }
        tandem.backfill();
        tandem.contract();
        assertThat(policies(t)).isEqualTo(before);
        try (Connection c = Pg.dataSourceAs(role).getConnection(); Statement st = c.createStatement()) {
            st.execute("SET search_path TO \"" + schema + "\"");
            assertThat(count(st, "SELECT count(*) FROM docs")).isEqualTo(2);
            assertThatThrownBy(() -> st.execute("INSERT INTO docs VALUES (5, 'someone', 'forged')"))
                    .hasMessageContaining("row-level security");
        }
    }

    private static long count(Statement st, String sql) throws Exception {
        try (ResultSet rs = st.executeQuery(sql)) {
            rs.next();
            return rs.getLong(1);
        }
    }

    private static Map<String, Object> policies(String table) {
        Map<String, Object> result = new TreeMap<>();
        for (var row : Rows.query(Pg.dataSource(), "SELECT polname, pg_get_expr(polqual, polrelid) AS q,"
                + " pg_get_expr(polwithcheck, polrelid) AS c, polcmd FROM pg_policy WHERE polrelid = ?::regclass", table)) {
            result.put((String) row.get("polname"), row.get("polcmd") + " USING " + row.get("q") + " WITH CHECK " + row.get("c"));
        }
        return result;
    }

    /** Each refusal: plan and expand exit with the object's name and what to do, and nothing is changed. */
    @Test
    void whatCannotBeCarriedIsRefusedAtPlanWithNothingChanged() {
        refused("CREATE EXTENSION IF NOT EXISTS btree_gist WITH SCHEMA public;"
                        + "CREATE TABLE %1$s.t (id int PRIMARY KEY, code varchar(20), room int,"
                        + " CONSTRAINT no_overlap EXCLUDE USING gist (room WITH =, code WITH =))",
                "alter_column: {table: t, column: code, type: \"varchar(40)\", up: \"code\", down: \"code::varchar(20)\"}",
                "exclusion constraint \"no_overlap\"", "ACCESS EXCLUSIVE");
        refused("CREATE TABLE %1$s.t (id int PRIMARY KEY, code varchar(20)); CREATE INDEX t_code_prefix ON %1$s.t (code text_pattern_ops)",
                "alter_column: {table: t, column: code, type: bigint, up: \"code::bigint\", down: \"code::text\"}",
                "index \"t_code_prefix\" on t", "text_pattern_ops");
        refused("CREATE TABLE %1$s.t (id int PRIMARY KEY, code text CONSTRAINT code_given CHECK (code <> ''))",
                "alter_column: {table: t, column: code, type: bigint, up: \"code::bigint\", down: \"code::text\"}",
                "CHECK constraint \"code_given\"", "operator does not exist");
        refused("CREATE TABLE %1$s.t (id int PRIMARY KEY, code varchar(20)); ALTER TABLE %1$s.t ENABLE ROW LEVEL SECURITY;"
                        + "CREATE POLICY p ON %1$s.t USING (code IN (SELECT code FROM %1$s.t WHERE id = 1))",
                "alter_column: {table: t, column: code, type: \"varchar(40)\", up: \"code\", down: \"code::varchar(20)\"}",
                "policy \"p\" on t", "sub-select");
        refused("CREATE TABLE %1$s.t (id int PRIMARY KEY, a int, b int); CREATE INDEX t_ab ON %1$s.t ((a + b))",
                "alter_column: {table: t, column: a, type: bigint, up: \"a\", down: \"a::int\"}\n"
                        + "  - alter_column: {table: t, column: b, type: bigint, up: \"b\", down: \"b::int\"}",
                "index \"t_ab\" on t", "two migrations");
        refused("CREATE TABLE %1$s.p (id int PRIMARY KEY); CREATE TABLE %1$s.t (id int PRIMARY KEY, p_id int REFERENCES %1$s.p)",
                "alter_column: {table: p, column: id, type: bigint, up: \"id\", down: \"id::int\"}",
                "primary key", "");
        refused("CREATE TABLE %1$s.p (id int PRIMARY KEY, code int UNIQUE); CREATE TABLE %1$s.t (id int PRIMARY KEY, c int REFERENCES %1$s.p (code))",
                "alter_column: {table: p, column: code, type: bigint, up: \"code\", down: \"code::int\"}",
                "foreign key \"t_c_fkey\"", "drop_constraint");
    }

    private void refused(String setup, String operation, String names, String why) {
        String schema = Pg.newSchema("carry_no");
        Pg.exec(setup.formatted("\"" + schema + "\""));
        var before = CatalogSnapshot.of(schema);
        Path files = dir.resolve(schema);
        files.toFile().mkdirs();
        new Migrations(files).write("001_change.yaml", "operations:\n  - " + operation + "\n");
        Tandem tandem = Tandem.configure().dataSource(Pg.dataSource()).migrations(files).schema(schema).load();
        assertThatThrownBy(tandem::plan).isInstanceOf(MigrationException.class).hasMessageContaining(names).hasMessageContaining(why);
        assertThatThrownBy(tandem::expand).isInstanceOf(MigrationException.class).hasMessageContaining(names);
        assertThat(CatalogSnapshot.of(schema)).isEqualTo(before);
    }
}
