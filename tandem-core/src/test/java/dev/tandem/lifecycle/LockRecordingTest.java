package dev.tandem.lifecycle;

import dev.tandem.Tandem;
import dev.tandem.engine.LockMode;
import dev.tandem.engine.Plan;
import dev.tandem.engine.Step;
import dev.tandem.testing.LockRecorder;
import dev.tandem.testing.Migrations;
import dev.tandem.testing.Pg;
import dev.tandem.testing.Rows;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import javax.sql.DataSource;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * What {@code plan} says each step locks is what it locks: for every operation kind, each step of expand,
 * rollback and contract is run with its locks read from pg_locks, and compared with the plan's claim, per table
 * and view. A claim too weak or too strong, or about a table the step does not touch, fails alike.
 */
class LockRecordingTest {
    @TempDir
    Path dir;

    /**
     * Every operation kind, and the shapes whose locks reach a second table: a foreign key added, validated,
     * carried over to an altered column, and dropped (its triggers live on the referenced table).
     */
    static Stream<EveryOperationTest.Case> cases() {
        return Stream.concat(EveryOperationTest.cases(), Stream.of(
                migration("add_column references", """
                        operations:
                          - add_column:
                              table: items
                              column: {name: tag_id, type: bigint, references: {table: tags, column: id}}
                        """),
                migration("alter_column of a foreign key column", """
                        operations:
                          - alter_column: {table: tags, column: item_id, nullable: false, up: "coalesce(item_id, 1)"}
                        """),
                migration("add_constraint foreign_key to another table", """
                        operations:
                          - add_column:
                              table: tags
                              column: {name: other_item, type: bigint}
                          - add_constraint:
                              table: tags
                              name: tags_other_item_fk
                              foreign_key: {columns: [other_item], references_table: items, references_columns: [id]}
                        """),
                migration("drop_index of a renamed table", """
                        operations:
                          - rename_table: {from: items, to: products}
                          - drop_index: {name: items_name_idx}
                        """),
                migration("alter_column carrying a sequence, comment, statistics and storage", """
                        operations:
                          - sql:
                              up: >-
                                CREATE SEQUENCE %1$s.items_qty_seq AS integer OWNED BY %1$s.items.qty;
                                ALTER TABLE %1$s.items ALTER COLUMN qty SET DEFAULT nextval('%1$s.items_qty_seq'),
                                ALTER COLUMN qty SET STATISTICS 200, ALTER COLUMN note SET STORAGE MAIN,
                                ALTER COLUMN note SET COMPRESSION pglz;
                                COMMENT ON COLUMN %1$s.items.qty IS 'how many'
                              down: >-
                                ALTER TABLE %1$s.items ALTER COLUMN qty SET DEFAULT 0;
                                DROP SEQUENCE %1$s.items_qty_seq
                          - alter_column: {table: items, column: qty, type: bigint, up: qty, down: "qty::integer"}
                          - alter_column: {table: items, column: note, type: "varchar(100)", up: note, down: note}
                        """),
                migration("drop_constraint foreign_key", """
                        operations:
                          - drop_constraint: {table: tags, name: tags_item_id_fkey}
                        """),
                // What a changed column carries: an expression index with a predicate, its CLUSTER mark, a check and
                // a policy (made by raw SQL first, so the plan sees them).
                migration("alter_column carrying an index, a check and a policy", """
                        operations:
                          - sql:
                              up: |
                                CREATE INDEX items_lower_name ON %1$s.items (lower(name)) WHERE qty > 0;
                                ALTER TABLE %1$s.items ADD CONSTRAINT items_name_given CHECK (name <> '');
                                CREATE POLICY items_named ON %1$s.items USING (name IS NOT NULL);
                                ALTER TABLE %1$s.items CLUSTER ON items_name_idx;
                              down: |
                                ALTER TABLE %1$s.items SET WITHOUT CLUSTER;
                                DROP POLICY items_named ON %1$s.items;
                                ALTER TABLE %1$s.items DROP CONSTRAINT items_name_given;
                                DROP INDEX %1$s.items_lower_name;
                          - alter_column: {table: items, column: name, type: "varchar(200)", up: "name", down: "name"}
                        """)));
    }

    private static EveryOperationTest.Case migration(String name, String yaml) {
        return new EveryOperationTest.Case(name, yaml, null, null, null, null, null, null, null);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void everyStepLocksWhatThePlanSays(EveryOperationTest.Case c) throws Exception {
        String schema = Pg.newSchema("lk");
        Migrations files = new Migrations(dir).write("001_base.yaml", EveryOperationTest.BASE);
        Tandem tandem = Tandem.configure().dataSource(Pg.dataSource()).migrations(dir).schema(schema).load();
        tandem.migrate();
        DataSource oldApp = Pg.dataSource(schema + "_001_base," + schema);
        Rows.update(oldApp, "INSERT INTO items (name, qty, note) VALUES ('apple', 3, 'red'), ('pear', 5, NULL)");
        Rows.update(oldApp, "INSERT INTO tags (label, item_id) VALUES ('fruit', 1)");
        files.write("002_change.yaml", c.migration().formatted("\"" + schema + "\""));
        LockRecorder recorder = new LockRecorder(Pg.dataSource(), schema);
        List<String> wrong = new ArrayList<>();

        // Expand, create the new version's schema and roll back by hand, step by step, as the plan says; then let Tandem expand and backfill, and
        // contract by hand with the plan it stored.
        Plan pending = tandem.plan().plan();
        compare(recorder, "expand", pending.expand(), wrong);
        compare(recorder, "publish", pending.publish(), wrong);
        compare(recorder, "rollback", pending.rollback(), wrong);
        tandem.expand();
        tandem.backfill();
        compare(recorder, "contract", tandem.plan().plan().contract(), wrong);

        assertThat(wrong).isEmpty();
    }

    /**
     * The statements that carry a changed column's objects, each on its own (in a plan they run inside contract's
     * one transaction, whose locks are those of all its statements together).
     */
    @org.junit.jupiter.api.Test
    void carryingStatementsLockWhatTheySay() throws Exception {
        String schema = Pg.newSchema("lk_carry");
        String t = "\"" + schema + "\".t";
        Pg.exec("CREATE TABLE " + t + " (id int PRIMARY KEY, email text NOT NULL);"
                + "CREATE UNIQUE INDEX t_email ON " + t + " (email);"
                + "CREATE POLICY p ON " + t + " USING (email IS NOT NULL);"
                + "ALTER TABLE " + t + " ADD CONSTRAINT t_email_ok CHECK (email <> '')");
        var ddl = new dev.tandem.dialect.postgres.PostgresDialect().ddl();
        var shape = new dev.tandem.catalog.Catalog.IndexShape("btree", List.of(new dev.tandem.catalog.Catalog.IndexKey(
                null, "lower(email)", null, null, List.of(), true, false)), List.of("id"), false, List.of("fillfactor=70"),
                null, "(id > 0)");
        LockRecorder recorder = new LockRecorder(Pg.dataSource(), schema);
        List<String> wrong = new ArrayList<>();
        compare(recorder, "carry", List.of(ddl.createIndex(schema, "t", "t_lower", shape, false),
                ddl.alterPolicy(schema, "t", "p", "(email <> '')", "(email <> '')"),
                ddl.replicaIdentityUsingIndex(schema, "t", "t_email"),
                ddl.clusterOn(schema, "t", "t_email"),
                ddl.commentOnIndex(schema, "t_email", "by e-mail"),
                ddl.commentOnConstraint(schema, "t", "t_email_ok", "not empty")), wrong);
        assertThat(wrong).isEmpty();
    }

    private static void compare(LockRecorder recorder, String phase, List<Step> steps, List<String> wrong) throws Exception {
        for (int i = 0; i < steps.size(); i++) {
            Step step = steps.get(i);
            Map<String, LockMode> measured = recorder.run(step);
            String where = phase + " step " + (i + 1) + " (" + step.description().lines().findFirst().orElse("") + ")";
            if (measured == null) {
                wrong.add(where + " was found already done, so nothing was measured");
            } else if (!step.locks().known()) {
                // Raw SQL: never claimed, and never passed off as catalog only.
                if (step.effect() == Step.Effect.METADATA) wrong.add(where + " has unknown locks but says catalog only");
            } else if (!measured.equals(LockRecorder.claimed(step))) {
                wrong.add(where + ": plan says " + LockRecorder.claimed(step) + ", pg_locks says " + measured);
            }
        }
    }
}
