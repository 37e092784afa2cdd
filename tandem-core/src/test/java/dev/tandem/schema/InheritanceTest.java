package dev.tandem.schema;

import dev.tandem.Tandem;
import dev.tandem.engine.LockMode;
import dev.tandem.engine.Plan;
import dev.tandem.engine.Step;
import dev.tandem.migration.MigrationException;
import dev.tandem.testing.CatalogSnapshot;
import dev.tandem.testing.LockRecorder;
import dev.tandem.testing.Migrations;
import dev.tandem.testing.Pg;
import dev.tandem.testing.Rows;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * case: inheritance — tables of an INHERITS hierarchy (not declarative partitions). On a real server: a row trigger
 * on the parent does not fire for rows stored in a child, even for writes through the parent, while the parent's
 * UPDATE reaches the children's rows and its ADD COLUMN, SET DEFAULT and CHECK reach the children's tables. So what
 * needs a sync trigger or backfill, or changes a column the hierarchy shares, is refused at plan; a nullable column
 * and a (non-unique) index are carried.
 */
class InheritanceTest {
    @TempDir
    Path dir;
    String schema;

    @BeforeEach
    void setUp() {
        schema = Pg.newSchema("inherit");
        Pg.exec(("CREATE TABLE %1$s.p (id int PRIMARY KEY, v text NOT NULL);"
                + "CREATE TABLE %1$s.c1 (extra int) INHERITS (%1$s.p);"
                + "CREATE TABLE %1$s.c2 () INHERITS (%1$s.c1);"
                + "CREATE TABLE %1$s.x (id int PRIMARY KEY, n int NOT NULL);"
                + "INSERT INTO %1$s.p VALUES (1, 'parent'); INSERT INTO %1$s.c1 VALUES (2, 'child', 5);"
                + "INSERT INTO %1$s.c2 VALUES (3, 'grandchild', 6); INSERT INTO %1$s.x VALUES (1, 1)")
                .formatted("\"" + schema + "\""));
    }

    private Tandem tandem() {
        return Tandem.configure().dataSource(Pg.dataSource()).migrations(dir).schema(schema).load();
    }

    @ParameterizedTest
    @ValueSource(strings = {
            "alter_column: {table: p, column: v, type: \"varchar(50)\", up: \"v\", down: \"v\"}",
            "add_column: {table: p, column: {name: w, type: text, nullable: false}, up: \"upper(v)\"}",
            "add_column: {table: p, column: {name: w, type: text, default: \"'x'\"}}",
            "add_column: {table: p, column: {name: w, type: text, unique: true}}",
            "drop_column: {table: p, column: v, down: \"'gone'\"}",
            "rename_column: {table: p, from: v, to: value}",
            "rename_table: {from: p, to: q}",
            "drop_table: {table: c2}",
            "create_index: {name: p_v_key, table: p, columns: [v], unique: true}",
            "add_constraint: {table: p, name: p_v_check, check: \"v <> ''\"}",
            "alter_column: {table: c1, column: extra, nullable: false, up: \"coalesce(extra, 0)\"}",
            "add_column: {table: c2, column: {name: w, type: int}, up: \"extra\"}"})
    void whatNeedsTheSyncOrSharedColumnsIsRefusedAtPlanNamingTheHierarchy(String operation) {
        new Migrations(dir).write("001_change.yaml", "operations:\n  - " + operation + "\n");
        Map<String, Object> before = CatalogSnapshot.of(schema);
        String table = operation.replaceAll("^.*?(table|from): (\\w+).*$", "$2");
        for (Runnable command : List.<Runnable>of(() -> tandem().plan(), () -> tandem().expand())) {
            assertThatThrownBy(command::run).isInstanceOf(MigrationException.class)
                    .hasMessageContaining("001_change.yaml:2")
                    .hasMessageContaining("on table \"" + table + "\" is not supported")
                    .hasMessageContaining(table.equals("p") ? "inheritance children \"" + schema + "\".\"c1\", \""
                            + schema + "\".\"c2\"" : "inherits from \"" + schema + "\".\"" + (table.equals("c1") ? "p" : "c1") + "\"")
                    .hasMessageContaining("`sql` operations").hasMessageContaining("declarative partitioning");
        }
        assertThat(CatalogSnapshot.of(schema)).isEqualTo(before);
        assertThat(Rows.scalar(Pg.dataSource(), "SELECT count(*) FROM pg_namespace WHERE nspname = ?", schema + "_001_change"))
                .isEqualTo(0L);
    }

    @Test
    void aChildThatAlreadyHasTheColumnIsNamed() {
        new Migrations(dir).write("001_change.yaml", "operations:\n  - add_column: {table: p, column: {name: extra, type: int}}\n");
        assertThatThrownBy(() -> tandem().plan()).isInstanceOf(MigrationException.class)
                .hasMessageContaining("table \"c1\", an inheritance child of \"p\", already has a column \"extra\"");
    }

    /**
     * A nullable column and an index on the parent, next to a type change of a table outside the hierarchy: the
     * children get the column (plan says so, and claims their locks), their views show it, both versions write every
     * table of the hierarchy, rollback takes the column from all of them, and contract leaves what plain SQL would.
     */
    @Test
    void aNullableColumnAndAnIndexOnTheParentReachTheChildren() throws Exception {
        // A first migration installs Tandem's state schema, which the steps run by hand below need.
        new Migrations(dir).write("000_base.yaml", "operations:\n  - create_table: {table: y, columns: [{name: id, type: int, primary_key: true}]}\n");
        tandem().migrate();
        new Migrations(dir).write("001_note.yaml", """
                operations:
                  - add_column: {table: p, column: {name: note, type: text}}
                  - create_index: {name: p_v_idx, table: p, columns: [v]}
                  - alter_column: {table: x, column: n, type: bigint, up: "n", down: "n::int"}
                """);
        Tandem tandem = tandem();
        Map<String, Object> before = CatalogSnapshot.of(schema);
        Plan plan = tandem.plan().plan();
        assertThat(plan.carried()).extracting(Plan.Carried::object)
                .containsExactly("inheritance child \"c1\" of \"p\"", "inheritance child \"c2\" of \"p\"");
        // The claims name the children, which the ALTER TABLE on the parent locks too: every step of expand and of
        // rollback (and the new version's schema between) is run by hand and its locks compared with pg_locks.
        LockRecorder recorder = new LockRecorder(Pg.dataSource(), schema);
        int reachingChildren = 0;
        for (List<Step> phase : List.of(plan.expand(), plan.publish(), plan.rollback())) {
            for (Step step : phase) {
                Map<String, LockMode> measured = recorder.run(step);
                assertThat(measured).as(step.description()).isEqualTo(LockRecorder.claimed(step));
                if (measured.get(schema + ".c2") == LockMode.ACCESS_EXCLUSIVE) reachingChildren++;
            }
        }
        assertThat(reachingChildren).as("the column added to the parent and dropped by rollback").isEqualTo(2);
        assertThat(CatalogSnapshot.of(schema)).isEqualTo(before);

        tandem.expand();
        tandem.backfill(); // the type change outside the hierarchy has a backfill: the new version is ready only then
        var oldVersion = Pg.dataSource(schema + "_000_base," + schema);
        var newVersion = Pg.dataSource(schema + "_001_note");
        Rows.update(oldVersion, "INSERT INTO c1 (id, v, extra) VALUES (4, 'old child', 7)");
        Rows.update(oldVersion, "INSERT INTO p (id, v) VALUES (5, 'old parent')");
        Rows.update(newVersion, "INSERT INTO c2 (id, v, extra, note) VALUES (6, 'new grandchild', 8, 'n6')");
        Rows.update(newVersion, "UPDATE p SET note = 'via parent' WHERE id = 2");
        assertThat(Rows.query(newVersion, "SELECT id, coalesce(note, '-') AS note FROM c1 ORDER BY id")).containsExactly(
                Map.of("id", 2, "note", "via parent"), Map.of("id", 3, "note", "-"), Map.of("id", 4, "note", "-"),
                Map.of("id", 6, "note", "n6"));
        assertThat(Rows.query(oldVersion, "SELECT * FROM c2 ORDER BY id").get(1)).containsOnlyKeys("id", "v", "extra")
                .containsEntry("v", "new grandchild");
        assertThat(Rows.scalar(newVersion, "SELECT count(*) FROM p")).isEqualTo(6L);

        tandem.rollback();
        assertThat(CatalogSnapshot.of(schema)).isEqualTo(before);
        tandem.expand();
        tandem.backfill();
        tandem.contract();
        assertThat(Rows.query(Pg.dataSource(), "SELECT c.relname::text AS t FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid"
                + " WHERE a.attname = 'note' AND c.relkind = 'r' AND c.relnamespace = ?::regnamespace ORDER BY 1", "\"" + schema + "\""))
                .extracting(r -> r.get("t")).containsExactly("c1", "c2", "p");
        assertThat(Rows.scalar(Pg.dataSource(), "SELECT pg_typeof(n)::text FROM \"" + schema + "\".x")).isEqualTo("bigint");
        assertThat(Rows.scalar(Pg.dataSource(), "SELECT count(*) FROM pg_indexes WHERE schemaname = ? AND indexname = 'p_v_idx'",
                schema)).isEqualTo(1L);
    }
}
