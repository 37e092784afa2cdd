package dev.tandem.lifecycle;

import dev.tandem.Tandem;
import dev.tandem.TandemException;
import dev.tandem.migration.MigrationException;
import dev.tandem.state.Phase;
import dev.tandem.testing.CatalogSnapshot;
import dev.tandem.testing.Migrations;
import dev.tandem.testing.Pg;
import dev.tandem.testing.Rows;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.Statement;
import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Every failure leaves a way forward: contract refuses up front what would fail after its point of no return, a
 * step that rolled back leaves the migration where it was, rollback works from the plan stored at expand, and raw
 * SQL is planned from what it really does.
 */
class NoDeadEndsTest {
    /** case failed-validate-strands-migration: a constraint that an existing row breaks. */
    static final String R_CHECK = """
            operations:
              - add_constraint: {table: t, name: t_r_positive, check: "r >= 0"}
            """;

    @TempDir
    Path dir;
    String schema;
    Migrations files;

    @BeforeEach
    void setUp() {
        schema = Pg.newSchema("dead_ends");
        files = new Migrations(dir);
    }

    private Tandem tandem() {
        return Tandem.configure().dataSource(Pg.dataSource()).migrations(dir).schema(schema)
                .retryDeadline(Duration.ofSeconds(2)).lockWait(Duration.ofSeconds(2)).load();
    }

    private String q(String table) {
        return "\"" + schema + "\"." + table;
    }

    /** A Tandem whose 001_init (a table of id and name) is complete. */
    private Tandem migratedInit(String table) {
        files.write("001_init.yaml", """
                operations:
                  - create_table:
                      table: %s
                      columns:
                        - {name: id, type: bigint, primary_key: true}
                        - {name: name, type: text}
                """.formatted(table));
        Tandem tandem = tandem();
        tandem.migrate();
        return tandem;
    }

    private Phase phase(Tandem tandem) {
        return tandem.status().current().orElseThrow().phase();
    }

    /** case: failed-validate-strands-migration — a row breaks the constraint contract would validate. */
    @Test
    void contractRefusesRowsBreakingAConstraintAndChangesNothing() {
        Pg.exec("CREATE TABLE " + q("t") + " (id int PRIMARY KEY, r int NOT NULL); INSERT INTO " + q("t") + " VALUES (1, -1), (2, 5)");
        files.write("001_r_check.yaml", R_CHECK);
        Tandem tandem = tandem();
        tandem.expand();
        var before = CatalogSnapshot.of(schema);

        assertThatThrownBy(tandem::contract).isInstanceOf(TandemException.class)
                .satisfies(e -> assertThat(((TandemException) e).kind()).isEqualTo(TandemException.Kind.REFUSED))
                .hasMessageContaining("refused before changing anything")
                .hasMessageContaining("1 row(s) of t")
                .hasMessageContaining("keys 1")
                .hasMessageContaining("rollback");
        assertThat(CatalogSnapshot.of(schema)).isEqualTo(before);
        assertThat(phase(tandem)).isEqualTo(Phase.EXPANDED);

        // The way forward the message names: fix the row, contract again.
        Rows.update(Pg.dataSource(), "UPDATE " + q("t") + " SET r = 1 WHERE id = 1");
        tandem.contract();
        assertThat(tandem.status().migrations().get(0).phase()).isEqualTo(Phase.COMPLETE);
    }

    /** A check contract adds only after the renames (it uses the new names) is checked before anything is dropped. */
    @Test
    void contractChecksTheNewVersionsCheckBeforeThePointOfNoReturn() {
        Pg.exec("CREATE TABLE " + q("t") + " (id int PRIMARY KEY, b int NOT NULL); INSERT INTO " + q("t") + " VALUES (1, 3), (7, -2)");
        files.write("001_b.yaml", """
                operations:
                  - alter_column: {table: t, column: b, type: bigint, check: "b > 0", up: "b::bigint", down: "b::int"}
                """);
        Tandem tandem = tandem();
        tandem.expand();
        tandem.backfill();
        var before = CatalogSnapshot.of(schema);
        assertThatThrownBy(tandem::contract).isInstanceOf(TandemException.class)
                .hasMessageContaining("1 row(s) of t break the check `b > 0` of column b (rows (7,-2))")
                .hasMessageContaining("stays backfilled");
        assertThat(CatalogSnapshot.of(schema)).isEqualTo(before);
        assertThat(phase(tandem)).isEqualTo(Phase.BACKFILLED);
        Rows.update(Pg.dataSource(), "UPDATE " + q("t") + " SET b = 2 WHERE id = 7");
        tandem.contract();
        assertThat(Rows.scalar(Pg.dataSource(), "SELECT b FROM " + q("t") + " WHERE id = 7")).isEqualTo(2L);
    }

    @Test
    void rollbackStaysAvailableAfterARefusedContract() {
        Pg.exec("CREATE TABLE " + q("t") + " (id int PRIMARY KEY, r int NOT NULL); INSERT INTO " + q("t") + " VALUES (1, -1)");
        files.write("001_r_check.yaml", R_CHECK);
        Tandem tandem = tandem();
        var pristine = CatalogSnapshot.of(schema);
        tandem.expand();
        assertThatThrownBy(tandem::contract).isInstanceOf(TandemException.class);
        assertThat(tandem.rollback().message()).contains("as before its expand");
        assertThat(CatalogSnapshot.of(schema)).isEqualTo(pristine);
        // Run again (as after a kill that landed once it was done): done is done, not an error.
        var again = tandem.rollback();
        assertThat(again.changed()).isFalse();
        assertThat(again.message()).isEqualTo("001_r_check is already rolled back");
    }

    /** case: user-view-blocks-drop — a user's view reads the column the migration drops. */
    @Test
    void planRefusesADropThatAUserViewBlocksNamingTheViewAndTheLine() {
        Pg.exec("CREATE TABLE " + q("t") + " (id int PRIMARY KEY, a text); CREATE VIEW " + q("v") + " AS SELECT id, a FROM " + q("t"));
        files.write("001_drop_a.yaml", """
                operations:
                  - create_index: {name: t_a_idx, table: t, columns: [a]}
                  - drop_column: {table: t, column: a}
                """);
        Tandem tandem = tandem();
        var before = CatalogSnapshot.of(schema);
        for (Runnable phase : new Runnable[]{tandem::plan, tandem::expand}) {
            assertThatThrownBy(phase::run).isInstanceOf(MigrationException.class)
                    .hasMessageContaining("001_drop_a.yaml:3")
                    .hasMessageContaining("view " + schema + ".v depends on column a of table t")
                    .hasMessageNotContaining("Use DROP ... CASCADE");
        }
        assertThat(CatalogSnapshot.of(schema)).isEqualTo(before);
        assertThat(tandem.status().current().orElseThrow().phase()).isEqualTo(Phase.PENDING);
    }

    /** The same kind of object appearing between expand and contract: contract refuses, the migration stays where it was. */
    @Test
    void contractRefusesObjectsMadeAfterExpandThatBlockADrop() {
        Pg.exec("CREATE TABLE " + q("t") + " (id int PRIMARY KEY, a text, b int); INSERT INTO " + q("t") + " VALUES (1, 'x', 2)");
        files.write("001_drop.yaml", """
                operations:
                  - drop_column: {table: t, column: a}
                  - alter_column: {table: t, column: b, type: bigint, up: "b::bigint", down: "b::int"}
                """);
        Tandem tandem = tandem();
        tandem.expand();
        tandem.backfill();
        Pg.exec("CREATE VIEW " + q("v") + " AS SELECT a FROM " + q("t")
                + "; CREATE MATERIALIZED VIEW " + q("mv") + " AS SELECT b FROM " + q("t")
                + "; ALTER TABLE " + q("t") + " ENABLE ROW LEVEL SECURITY; CREATE POLICY p ON " + q("t") + " USING (a <> 'secret')");
        var before = CatalogSnapshot.of(schema);
        assertThatThrownBy(tandem::contract).isInstanceOf(TandemException.class)
                .satisfies(e -> assertThat(((TandemException) e).kind()).isEqualTo(TandemException.Kind.REFUSED))
                .hasMessageContaining("view " + schema + ".v depends on column a of table t")
                .hasMessageContaining("materialized view " + schema + ".mv depends on column b of table t")
                .hasMessageContaining("policy p on table " + schema + ".t depends on column a of table t")
                .hasMessageContaining("stays backfilled");
        assertThat(CatalogSnapshot.of(schema)).isEqualTo(before);
        assertThat(phase(tandem)).isEqualTo(Phase.BACKFILLED);

        Pg.exec("DROP VIEW " + q("v") + "; DROP MATERIALIZED VIEW " + q("mv") + "; DROP POLICY p ON " + q("t"));
        // A function of the row type of a table the migration drops is found the same way (drop_table below).
        tandem.contract();
        assertThat(Rows.scalar(Pg.dataSource(), "SELECT b FROM " + q("t") + " WHERE id = 1")).isEqualTo(2L);
    }

    /** Dropping a version schema takes only Tandem's views: your objects in it or on its views stop contract and rollback. */
    @Test
    void yourObjectsOnAVersionSchemaAreNeverDroppedWithIt() {
        Tandem tandem = migratedInit("u");
        files.write("002_zip.yaml", "operations:\n  - add_column: {table: u, column: {name: zip, type: text}}\n");
        tandem.expand();
        String v1 = schema + "_001_init", v2 = schema + "_002_zip";
        Pg.exec("CREATE VIEW " + q("report") + " AS SELECT id, name FROM \"" + v1 + "\".u;"
                + "CREATE TABLE \"" + v1 + "\".mydata (x int); INSERT INTO \"" + v1 + "\".mydata VALUES (42);"
                + "CREATE VIEW " + q("report2") + " AS SELECT id, zip FROM \"" + v2 + "\".u");
        var before = CatalogSnapshot.of(schema);
        assertThatThrownBy(tandem::contract).isInstanceOf(TandemException.class)
                .hasMessageContaining("view " + schema + ".report (it depends on " + v1 + ".u)")
                .hasMessageContaining("table " + v1 + ".mydata is in or on version schema " + v1);
        assertThatThrownBy(tandem::rollback).isInstanceOf(TandemException.class)
                .hasMessageContaining("view " + schema + ".report2 (it depends on " + v2 + ".u)");
        assertThat(CatalogSnapshot.of(schema)).isEqualTo(before);
        assertThat(Rows.scalar(Pg.dataSource(), "SELECT x FROM \"" + v1 + "\".mydata")).isEqualTo(42);
        assertThat(phase(tandem)).isEqualTo(Phase.EXPANDED);

        Pg.exec("DROP VIEW " + q("report") + "; DROP VIEW " + q("report2") + "; DROP TABLE \"" + v1 + "\".mydata");
        tandem.contract();
    }

    /** Rows written with triggers off after the backfill: contract names the way, and `backfill --by-key` takes it. */
    @Test
    void rowsWrittenWithTriggersOffAfterTheBackfillCanStillBeFilled() {
        Pg.exec("CREATE TABLE " + q("t") + " (id int PRIMARY KEY, a int NOT NULL); INSERT INTO " + q("t") + " VALUES (1, 1)");
        files.write("001_c.yaml", """
                operations:
                  - add_column: {table: t, column: {name: c, type: int}, up: "a * 3"}
                """);
        Tandem tandem = tandem();
        tandem.expand();
        tandem.backfill();
        Pg.exec("SET session_replication_role = replica; INSERT INTO " + q("t") + " (id, a) VALUES (1000, 5)");
        assertThatThrownBy(tandem::contract).isInstanceOf(TandemException.class)
                .hasMessageContaining("1 row(s) of t not backfilled yet (keys 1000)")
                .hasMessageContaining("run `tandem backfill --by-key`");
        assertThat(tandem.backfill().changed()).isFalse();
        Tandem byKey = Tandem.configure().dataSource(Pg.dataSource()).migrations(dir).schema(schema).byKey(true).load();
        assertThat(byKey.backfill().changed()).isTrue();
        tandem.contract();
        assertThat(Rows.scalar(Pg.dataSource(), "SELECT c FROM " + q("t") + " WHERE id = 1000")).isEqualTo(15);
    }

    /**
     * Extended statistics on a column whose type changes would silently go with the old column: plan refuses, naming
     * them. An index with an expression over such a column is carried to its new form (CarriedIndexesTest), so it
     * is not named.
     */
    @Test
    void statisticsTandemCannotRebuildOnTheNewColumnAreNamedNotLost() {
        Pg.exec("CREATE TABLE " + q("item") + " (id int PRIMARY KEY, note text, price int);"
                + "CREATE UNIQUE INDEX item_note_uq ON " + q("item") + " (lower(note));"
                + "CREATE STATISTICS item_st ON price, id FROM " + q("item"));
        files.write("001_types.yaml", """
                operations:
                  - alter_column: {table: item, column: note, type: "varchar(50)", up: "note", down: "note"}
                  - alter_column: {table: item, column: price, type: bigint, up: "price", down: "price::int"}
                """);
        assertThatThrownBy(() -> tandem().plan()).isInstanceOf(MigrationException.class)
                .hasMessageContaining("statistics object item_st depends on column price of table item")
                .hasMessageNotContaining("item_note_uq");
    }

    /** A function over the row type of a table contract drops is in the way too, and named. */
    @Test
    void aFunctionOfADroppedTablesRowTypeIsNamedBeforeContract() {
        Pg.exec("CREATE TABLE " + q("old") + " (id int PRIMARY KEY)");
        files.write("001_drop.yaml", "operations:\n  - drop_table: {table: old}\n");
        Tandem tandem = tandem();
        tandem.expand();
        Pg.exec("CREATE FUNCTION " + q("fold") + "() RETURNS SETOF " + q("old") + " LANGUAGE sql AS 'SELECT * FROM " + q("old") + "'");
        assertThatThrownBy(tandem::contract).isInstanceOf(TandemException.class)
                .satisfies(e -> assertThat(((TandemException) e).kind()).isEqualTo(TandemException.Kind.REFUSED))
                .hasMessageContaining("function " + schema + ".fold() depends on table old");
        assertThat(phase(tandem)).isEqualTo(Phase.EXPANDED);
    }

    /** A failed expand is undone by rollback from the stored plan, even after the file was edited. */
    @Test
    void aFailedExpandCanBeRolledBackAfterTheFileWasEdited() throws Exception {
        Pg.exec("CREATE TABLE " + q("a") + " (id int PRIMARY KEY); CREATE TABLE " + q("b") + " (id int PRIMARY KEY)");
        files.write("001_two.yaml", """
                operations:
                  - add_column: {table: a, column: {name: x, type: int}}
                  - add_column: {table: b, column: {name: y, type: int}}
                """);
        Tandem tandem = tandem();
        var pristine = CatalogSnapshot.of(schema);
        try (Connection holder = Pg.dataSource().getConnection(); Statement st = holder.createStatement()) {
            holder.setAutoCommit(false);
            st.execute("LOCK TABLE " + q("b") + " IN ACCESS SHARE MODE");
            assertThatThrownBy(tandem::expand).isInstanceOf(TandemException.class)
                    .hasMessageContaining("`tandem rollback`");
            holder.rollback();
        }
        assertThat(phase(tandem)).isEqualTo(Phase.EXPANDING);

        files.write("001_two.yaml", """
                operations:
                  - add_column: {table: a, column: {name: x2, type: int}}
                """);
        assertThatThrownBy(tandem::expand).isInstanceOf(MigrationException.class)
                .hasMessageContaining("roll the migration back first")
                .hasMessageContaining("then expand again");
        tandem.rollback();
        assertThat(CatalogSnapshot.of(schema)).isEqualTo(pristine);
        tandem.expand();
        assertThat(Rows.scalar(Pg.dataSource(), "SELECT count(*) FROM information_schema.columns WHERE table_schema = ?"
                + " AND column_name = 'x2'", schema)).isEqualTo(1L);
    }

    /** case: sql-defined-type — a later operation uses a type the migration's own sql creates. */
    @Test
    void laterOperationsSeeWhatEarlierSqlCreates() {
        Pg.exec("CREATE TABLE " + q("t") + " (id int PRIMARY KEY, status text NOT NULL); INSERT INTO " + q("t") + " VALUES (1, 'open')");
        files.write("001_status_enum.yaml", """
                operations:
                  - sql: {up: "CREATE TYPE st AS ENUM ('open', 'closed')", down: "DROP TYPE st"}
                  - alter_column: {table: t, column: status, type: st, up: "status::st", down: "status::text"}
                """.replace("CREATE TYPE st", "CREATE TYPE \\\"" + schema + "\\\".st")
                .replace("DROP TYPE st", "DROP TYPE \\\"" + schema + "\\\".st")
                .replace("type: st,", "type: '\"" + schema + "\".st',")
                .replace("status::st", "status::\\\"" + schema + "\\\".st"));
        Tandem tandem = tandem();
        var before = CatalogSnapshot.of(schema);
        tandem.plan();
        assertThat(CatalogSnapshot.of(schema)).isEqualTo(before);
        tandem.migrate();
        assertThat(Rows.scalar(Pg.dataSource(), "SELECT status::text FROM " + q("t") + " WHERE id = 1")).isEqualTo("open");
        assertThat(Rows.scalar(Pg.dataSource(), "SELECT format_type(atttypid, NULL) FROM pg_attribute WHERE attrelid = ?::regclass"
                + " AND attname = 'status'", schema + ".t")).isEqualTo(schema + ".st");
    }

    /** Raw SQL after another operation runs after it at expand, as written; plan says its locks are unknown. */
    @Test
    void rawSqlAfterAnOperationSeesWhatItAdds() {
        Pg.exec("CREATE TABLE " + q("u") + " (id int PRIMARY KEY)");
        files.write("001_email.yaml", "operations:\n  - add_column: {table: u, column: {name: email, type: text}}\n"
                + "  - sql: {up: \"CREATE INDEX u_email ON \\\"" + schema + "\\\".u (email)\", down: \"DROP INDEX \\\""
                + schema + "\\\".u_email\"}\n");
        Tandem tandem = tandem();
        var raw = tandem.plan().plan().expand().stream().filter(s -> s.sql().startsWith("CREATE INDEX u_email")).findFirst().orElseThrow();
        assertThat(raw.locks().summary()).startsWith("unknown (it failed when tried without the operations before it");
        tandem.expand();
        assertThat(Rows.scalar(Pg.dataSource(), "SELECT to_regclass(?)::text", schema + ".u_email")).isNotNull();
        tandem.rollback();
        assertThat(Rows.scalar(Pg.dataSource(), "SELECT to_regclass(?)::text", schema + ".u_email")).isNull();
    }

    /** One real problem is reported once, never followed by `current transaction is aborted` for later fields. */
    @Test
    void oneProblemIsReportedWithoutFollowOnErrors() {
        Pg.exec("CREATE TABLE " + q("t") + " (id int PRIMARY KEY, a text NOT NULL, b int NOT NULL)");
        files.write("001_bad.yaml", """
                operations:
                  - alter_column: {table: t, column: a, type: no_such_type, up: "a::no_such_type", down: "a::text"}
                  - alter_column: {table: t, column: b, type: bigint, up: "b::bigint", down: "b::int"}
                """);
        assertThatThrownBy(() -> tandem().plan()).isInstanceOf(MigrationException.class)
                .hasMessageContaining("no_such_type")
                .hasMessageNotContaining("current transaction is aborted")
                .satisfies(e -> assertThat(((MigrationException) e).problems()).singleElement()
                        .satisfies(p -> assertThat(p.location().line()).isEqualTo(2)));
    }

    /** A problem found against the database points at the line of the field at fault, not of its operation. */
    @Test
    void anExpressionErrorPointsAtItsField() {
        Pg.exec("CREATE TABLE " + q("t") + " (id int PRIMARY KEY, flag int NOT NULL)");
        files.write("001_flag.yaml", """
                operations:
                  - alter_column:
                      table: t
                      column: flag
                      type: boolean
                      up: "flag <> 0"
                      down: "flag || 'x'"
                """);
        assertThatThrownBy(() -> tandem().plan()).isInstanceOf(MigrationException.class)
                .satisfies(e -> assertThat(((MigrationException) e).problems()).singleElement().satisfies(p -> {
                    assertThat(p.location().line()).isEqualTo(7);
                    assertThat(p.message()).startsWith("down `flag || 'x'` is not valid for type integer");
                }));
    }

    /** case: raw-sql-column — the new version sees the column its sql added; without down, rollback refuses up front. */
    @Test
    void rawSqlIsPlannedFromWhatItDoesAndWithoutDownIsIrreversible() {
        Tandem tandem = migratedInit("users");
        files.write("002_note.yaml", "operations:\n  - sql: {up: \"ALTER TABLE \\\"" + schema + "\\\".users ADD COLUMN note text\"}\n");

        var report = tandem.plan();
        assertThat(report.plan().irreversible()).singleElement()
                .satisfies(x -> assertThat(x.reason()).contains("002_note.yaml:2").contains("no `down`"));
        assertThat(report.plan().expand().get(0).locks().summary()).isEqualTo("ACCESS EXCLUSIVE on " + schema + ".users (measured)");
        assertThat(tandem.expand().message()).contains("Note: the sql operation at").contains("so rollback cannot undo it");
        Rows.update(Pg.dataSource(schema + "_002_note"), "INSERT INTO users (id, name, note) VALUES (1, 'Ann', 'hi')");

        var expanded = CatalogSnapshot.of(schema);
        assertThatThrownBy(tandem::rollback).isInstanceOf(TandemException.class)
                .satisfies(e -> assertThat(((TandemException) e).kind()).isEqualTo(TandemException.Kind.REFUSED))
                .hasMessageContaining("no `down`").hasMessageContaining("--leave-raw-sql");
        assertThat(CatalogSnapshot.of(schema)).isEqualTo(expanded);

        assertThat(tandem.rollback(true).message()).contains("except raw SQL, whose effects stay").contains("002_note.yaml:2");
        assertThat(Rows.scalar(Pg.dataSource(), "SELECT note FROM " + q("users") + " WHERE id = 1")).isEqualTo("hi");
    }

    /** Raw SQL that drops or renames a table: its lock is named by the table as it was when the statement began. */
    @Test
    void measuredLocksNameWhatTheStatementDroppedOrRenamed() {
        Pg.exec("CREATE TABLE " + q("yy") + " (id int); CREATE TABLE " + q("zz") + " (id int)");
        files.write("001_raw.yaml", "operations:\n  - sql: {up: \"DROP TABLE \\\"" + schema + "\\\".yy\"}\n"
                + "  - sql: {up: \"ALTER TABLE \\\"" + schema + "\\\".zz RENAME TO zz2\"}\n");
        var steps = tandem().plan().plan().expand();
        assertThat(steps.get(0).locks().summary()).isEqualTo("ACCESS EXCLUSIVE on " + schema + ".yy (measured)");
        assertThat(steps.get(1).locks().summary()).isEqualTo("ACCESS EXCLUSIVE on " + schema + ".zz (renamed to zz2) (measured)");
        assertThat(Rows.scalar(Pg.dataSource(), "SELECT to_regclass(?)::text", schema + ".yy")).isNotNull();
    }

    /** A raw `down` that would fail is found at plan, at its line: a rollback that cannot finish is a dead end. */
    @Test
    void aRawDownThatWouldFailIsRefusedAtPlan() {
        files.write("001_audit.yaml", "operations:\n  - sql:\n      up: \"CREATE TABLE \\\"" + schema
                + "\\\".audit (x int)\"\n      down: \"DROP TABLE \\\"" + schema + "\\\".audit_typo\"\n");
        var before = CatalogSnapshot.of(schema);
        assertThatThrownBy(() -> tandem().plan()).isInstanceOf(MigrationException.class)
                .hasMessageContaining("001_audit.yaml:4:").hasMessageContaining("down fails")
                .hasMessageContaining("audit_typo");
        assertThat(CatalogSnapshot.of(schema)).isEqualTo(before);
    }

    /** Raw SQL that cannot get its lock is reported as unknown, never guessed. */
    @Test
    void aRawSqlProbeThatCannotFinishSaysSo() throws Exception {
        Pg.exec("CREATE TABLE " + q("t") + " (id int PRIMARY KEY)");
        files.write("001_sql.yaml", "operations:\n  - sql: {up: \"ALTER TABLE \\\"" + schema + "\\\".t ADD COLUMN c int\", down: \"ALTER TABLE \\\""
                + schema + "\\\".t DROP COLUMN c\"}\n");
        Tandem tandem = tandem();
        try (Connection holder = Pg.dataSource().getConnection(); Statement st = holder.createStatement()) {
            holder.setAutoCommit(false);
            st.execute("LOCK TABLE " + q("t") + " IN ACCESS SHARE MODE");
            assertThat(tandem.plan().plan().expand().get(0).locks().summary()).startsWith("unknown (it did not finish within 2000 ms");
            holder.rollback();
        }
        assertThat(tandem.plan().plan().expand().get(0).locks().summary()).isEqualTo("ACCESS EXCLUSIVE on " + schema + ".t (measured)");
        assertThat(tandem.plan(false).plan().expand().get(0).locks().summary()).startsWith("unknown (not probed");
    }
}
