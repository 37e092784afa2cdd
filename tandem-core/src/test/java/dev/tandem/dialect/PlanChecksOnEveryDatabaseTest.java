package dev.tandem.dialect;

import dev.tandem.catalog.Catalog;
import dev.tandem.engine.Plan;
import dev.tandem.testing.TestDatabase;
import dev.tandem.testing.TestDatabase.OnEveryDatabase;

import java.sql.Connection;
import java.sql.SQLException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The checks {@code plan} and contract make before anything changes, one body per behaviour run on every dialect: an
 * expression that does not fit is refused with the server's reason, the user's objects in the way of a drop and in a
 * version schema are named alike, and a CHECK's expression is read back from the catalog.
 */
class PlanChecksOnEveryDatabaseTest {

    private static final Map<String, String> ROW = new LinkedHashMap<>(Map.of("a", "integer", "b", "varchar(20)"));

    /** In a transaction that is rolled back, on a connection whose default schema is {@code schema}. */
    private static void checkExpression(TestDatabase db, String schema, String expression, String type) throws SQLException {
        try (Connection c = db.dataSource().getConnection()) {
            db.dialect().setSearchPath(c, List.of(schema));
            c.setAutoCommit(false);
            try {
                db.dialect().checkExpression(c, expression, ROW, type);
            } finally {
                c.rollback();
            }
        }
    }

    @OnEveryDatabase
    void anExpressionThatDoesNotFitIsRefusedWithTheServersReason(TestDatabase db) throws SQLException {
        String schema = db.newSchema("expr");
        checkExpression(db, schema, "a + 1", "bigint");
        checkExpression(db, schema, "CASE WHEN a > 0 THEN b ELSE 'none' END", "varchar(20)");
        assertThatThrownBy(() -> checkExpression(db, schema, "nosuch + 1", "bigint")).isInstanceOf(SQLException.class)
                .hasMessageContaining("nosuch");
        assertThatThrownBy(() -> checkExpression(db, schema, "a +", "bigint")).isInstanceOf(SQLException.class)
                .hasMessageContainingAll("syntax");
        assertThatThrownBy(() -> checkExpression(db, schema, "nosuchfn(a)", "bigint")).isInstanceOf(SQLException.class)
                .hasMessageContainingAll("nosuchfn", "does not exist");
        assertThatThrownBy(() -> checkExpression(db, schema, "'abc'", "integer")).isInstanceOf(SQLException.class)
                .hasMessageContaining("abc");
        assertThatThrownBy(() -> checkExpression(db, schema, "1); DELETE FROM x; SELECT (1", "integer"))
                .isInstanceOf(SQLException.class).hasMessageStartingWith("the expression ").hasMessageContaining("closes a parenthesis");
        assertThatThrownBy(() -> checkExpression(db, schema, "1; DELETE FROM x", "integer"))
                .isInstanceOf(SQLException.class).hasMessageStartingWith("the expression ").hasMessageContaining("';'");
    }

    /** A column drop: a view reading it, a foreign key to it and a generated column over it; not a view of another column. */
    @OnEveryDatabase
    void theObjectsInTheWayOfADropAreNamedAlike(TestDatabase db) throws SQLException {
        Dialect d = db.dialect();
        String s = db.newSchema("blk");
        db.exec("CREATE TABLE " + d.qualify(s, "t") + " (id integer PRIMARY KEY, a integer UNIQUE, b integer,"
                        + " g integer GENERATED ALWAYS AS (a + 1) STORED)",
                "CREATE TABLE " + d.qualify(s, "child") + " (id integer PRIMARY KEY, ta integer,"
                        + " CONSTRAINT child_fk FOREIGN KEY (ta) REFERENCES " + d.qualify(s, "t") + " (a))",
                "CREATE VIEW " + d.qualify(s, "v") + " AS SELECT a FROM " + d.qualify(s, "t"),
                "CREATE VIEW " + d.qualify(s, "w") + " AS SELECT b FROM " + d.qualify(s, "t"));
        try (Connection c = db.dataSource().getConnection()) {
            assertThat(d.dropBlockers(c, s, new Plan.Dropped("column", "t", "a", null), List.of()))
                    .containsExactlyInAnyOrder("view " + s + ".v", "constraint child_fk on table " + s + ".child",
                            "generated column g of " + s + ".t");
            assertThat(d.dropBlockers(c, s, new Plan.Dropped("column", "t", "b", null), List.of()))
                    .containsExactly("view " + s + ".w");
            assertThat(d.dropBlockers(c, s, new Plan.Dropped("table", "t", null, null), List.of()))
                    .contains("constraint child_fk on table " + s + ".child");
        }
    }

    /** A version schema: Tandem's view over a table is its own; a table in it and a view elsewhere over it are not. */
    @OnEveryDatabase
    void whatIsNotTandemsInAVersionSchemaIsNamedAlike(TestDatabase db) throws SQLException {
        Dialect d = db.dialect();
        String s = db.newSchema("app");
        String version = db.newSchema("app_v");
        db.exec("CREATE TABLE " + d.qualify(s, "t") + " (id integer PRIMARY KEY, a integer)",
                "CREATE VIEW " + d.qualify(version, "u") + " AS SELECT id, a FROM " + d.qualify(s, "t"));
        try (Connection c = db.dataSource().getConnection()) {
            assertThat(d.versionSchemaBlockers(c, version)).isEmpty();
            db.exec("CREATE TABLE " + d.qualify(version, "mydata") + " (x integer)",
                    "CREATE VIEW " + d.qualify(s, "report") + " AS SELECT id FROM " + d.qualify(version, "u"));
            assertThat(d.versionSchemaBlockers(c, version)).containsExactlyInAnyOrder("table " + version + ".mydata",
                    "view " + s + ".report (it depends on " + version + ".u)");
        }
    }

    /** The CHECK's expression as the catalog reader prints its definition, good for counting the rows that break it. */
    @OnEveryDatabase
    void aChecksExpressionIsReadBackFromItsDefinition(TestDatabase db) throws SQLException {
        Dialect d = db.dialect();
        String s = db.newSchema("chk");
        db.exec("CREATE TABLE " + d.qualify(s, "t") + " (id integer PRIMARY KEY, qty integer, price integer,"
                        + " CONSTRAINT qty_pos CHECK (qty > 0 AND (price IS NULL OR price >= qty)))",
                "INSERT INTO " + d.qualify(s, "t") + " VALUES (1, 1, 5), (2, 3, NULL)");
        try (Connection c = db.dataSource().getConnection()) {
            Catalog.Constraint check = d.readCatalog(c, s).table("t").orElseThrow().constraints().stream()
                    .filter(k -> k.type() == 'c').findFirst().orElseThrow();
            String expression = d.checkExpression(check.definition());
            assertThat(expression).isNotNull().contains("qty").contains("price");
            assertThat(d.violations(c, s, "t", expression, 5).rows()).isZero();
            assertThat(d.violations(c, s, "t", "NOT (" + expression + ")", 5).rows()).isEqualTo(2);
            assertThat(d.checkExpression("UNIQUE (qty)")).isNull();
        }
    }
}
