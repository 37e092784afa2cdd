package dev.tandem.mariadb;

import dev.tandem.dialect.mariadb.MariaDbDialect;
import dev.tandem.engine.Plan;
import dev.tandem.testing.MariaDb;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Collection;
import java.util.List;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The user's objects in the way of contract's drops on MariaDB. Each scenario is checked twice: the blockers named,
 * and what the server then does when the drop runs anyway: a blocker's drop is refused or breaks the object, and the
 * drop of what is not in the way succeeds and leaves the object working.
 */
class MariaDbDropBlockersTest {
    private final MariaDbDialect dialect = new MariaDbDialect(MariaDbDialect.Flavor.MARIADB);

    /**
     * @param setup    statements run in a new database; {@code DB} in the expected names stands for it
     * @param drop     what contract drops
     * @param expected the blockers, in the dialect's words
     * @param probe    a statement that must fail after the drop when something is expected, and succeed otherwise
     *                 (null: the drop itself is what fails)
     */
    record Scenario(String name, List<String> setup, Plan.Dropped drop, List<String> expected, String probe) {
        @Override
        public String toString() {
            return name;
        }
    }

    private static Plan.Dropped column(String table, String column) {
        return new Plan.Dropped("column", table, column, null);
    }

    private static final String T = "CREATE TABLE t (id INT PRIMARY KEY, a INT, b INT)";
    private static final String ROW = "INSERT INTO t (id, a, b) VALUES (1, 1, 2)";

    static Stream<Scenario> scenarios() {
        return Stream.of(
                new Scenario("a view reading the column", List.of(T, "CREATE VIEW v AS SELECT a FROM t"),
                        column("t", "a"), List.of("view DB.v"), "SELECT * FROM v"),
                new Scenario("a view reading it through an alias", List.of(T, "CREATE TABLE side (id INT PRIMARY KEY)",
                        "CREATE VIEW v AS SELECT x.a AS aa FROM t x JOIN side s ON s.id = x.id"),
                        column("t", "a"), List.of("view DB.v"), "SELECT * FROM v"),
                new Scenario("a view reading another column only", List.of(T, "CREATE VIEW v AS SELECT id, b FROM t"),
                        column("t", "a"), List.of(), "SELECT * FROM v"),
                new Scenario("a trigger on the table naming the column", List.of(T, ROW,
                        "CREATE TRIGGER trg BEFORE UPDATE ON t FOR EACH ROW SET NEW.b = NEW.a * 2"),
                        column("t", "a"), List.of("trigger trg on table DB.t (by its text)"), "UPDATE t SET b = 5"),
                new Scenario("a trigger on the table not naming it", List.of(T, ROW,
                        "CREATE TRIGGER trg BEFORE UPDATE ON t FOR EACH ROW SET NEW.b = NEW.b + 1"),
                        column("t", "a"), List.of(), "UPDATE t SET b = 5"),
                new Scenario("a trigger on another table writing the column", List.of(T,
                        "CREATE TABLE side (id INT PRIMARY KEY)",
                        "CREATE TRIGGER side_ins AFTER INSERT ON side FOR EACH ROW INSERT INTO t (id, a) VALUES (NEW.id, NEW.id)"),
                        column("t", "a"), List.of("trigger side_ins on table DB.side (by its text)"), "INSERT INTO side VALUES (7)"),
                new Scenario("a generated column", List.of("CREATE TABLE t (id INT PRIMARY KEY, a INT, b INT, g INT AS (a + 1) VIRTUAL)"),
                        column("t", "a"), List.of("generated column g of DB.t"), null),
                new Scenario("a CHECK over the column and another", List.of(
                        "CREATE TABLE t (id INT PRIMARY KEY, a INT, b INT, CONSTRAINT a_lt_b CHECK (a < b))"),
                        column("t", "a"), List.of("CHECK constraint a_lt_b on table DB.t"), null),
                new Scenario("a CHECK over the column alone", List.of(
                        "CREATE TABLE t (id INT PRIMARY KEY, a INT CHECK (a > 0), b INT, CONSTRAINT a_pos CHECK (a > 0))", ROW),
                        column("t", "a"), List.of(), "INSERT INTO t (id, b) VALUES (2, 2)"),
                new Scenario("a foreign key referencing the column", List.of(
                        "CREATE TABLE t (id INT PRIMARY KEY, a INT, b INT, UNIQUE KEY a_uq (a))",
                        "CREATE TABLE child (id INT PRIMARY KEY, ta INT, CONSTRAINT child_fk FOREIGN KEY (ta) REFERENCES t (a))"),
                        column("t", "a"), List.of("constraint child_fk on table DB.child"), null),
                new Scenario("the table's own foreign key over the column", List.of("CREATE TABLE p (id INT PRIMARY KEY)",
                        "CREATE TABLE t (id INT PRIMARY KEY, a INT, b INT, CONSTRAINT t_fk FOREIGN KEY (a) REFERENCES p (id))"),
                        column("t", "a"), List.of("constraint t_fk on table DB.t"), null),
                new Scenario("a unique key over the column and another", List.of(
                        "CREATE TABLE t (id INT PRIMARY KEY, a INT, b INT, UNIQUE KEY ab_uq (a, b))"),
                        column("t", "a"), List.of("unique index ab_uq on table DB.t"), null),
                new Scenario("a unique key over the column alone", List.of(
                        "CREATE TABLE t (id INT PRIMARY KEY, a INT, b INT, UNIQUE KEY a_uq (a))", ROW),
                        column("t", "a"), List.of(), "INSERT INTO t (id, b) VALUES (2, 2)"),
                new Scenario("a procedure reading the column", List.of(T, "CREATE PROCEDURE p() READS SQL DATA SELECT a FROM t"),
                        column("t", "a"), List.of("procedure DB.p (by its text)"), "CALL p()"),
                new Scenario("a function reading another column", List.of(T,
                        "CREATE FUNCTION f() RETURNS INT READS SQL DATA RETURN (SELECT MAX(b) FROM t)"),
                        column("t", "a"), List.of(), "SELECT f()"),
                new Scenario("a view reading the table", List.of(T, "CREATE VIEW v AS SELECT id FROM t"),
                        new Plan.Dropped("table", "t", null, null), List.of("view DB.v"), "SELECT * FROM v"),
                new Scenario("a foreign key referencing the table", List.of(T,
                        "CREATE TABLE child (id INT PRIMARY KEY, tid INT, CONSTRAINT child_fk FOREIGN KEY (tid) REFERENCES t (id))"),
                        new Plan.Dropped("table", "t", null, null), List.of("constraint child_fk on table DB.child"), null),
                new Scenario("the table's own trigger and foreign key", List.of("CREATE TABLE p (id INT PRIMARY KEY)",
                        "CREATE TABLE t (id INT PRIMARY KEY, a INT, CONSTRAINT t_fk FOREIGN KEY (a) REFERENCES p (id))",
                        "CREATE TRIGGER trg BEFORE INSERT ON t FOR EACH ROW SET NEW.a = NEW.a"),
                        new Plan.Dropped("table", "t", null, null), List.of(), "INSERT INTO p VALUES (1)"),
                new Scenario("a trigger on another table writing the table", List.of(T, "CREATE TABLE side (id INT PRIMARY KEY)",
                        "CREATE TRIGGER side_ins AFTER INSERT ON side FOR EACH ROW INSERT INTO t (id) VALUES (NEW.id)"),
                        new Plan.Dropped("table", "t", null, null), List.of("trigger side_ins on table DB.side (by its text)"),
                        "INSERT INTO side VALUES (7)"),
                new Scenario("the only index a foreign key of the table can use", List.of("CREATE TABLE p (id INT PRIMARY KEY)",
                        "CREATE TABLE t (id INT PRIMARY KEY, a INT, KEY a_ix (a), CONSTRAINT t_fk FOREIGN KEY (a) REFERENCES p (id))"),
                        new Plan.Dropped("index", "t", "a_ix", null), List.of("constraint t_fk on table DB.t"), null),
                new Scenario("the only index a foreign key to the table can use", List.of(
                        "CREATE TABLE t (id INT PRIMARY KEY, u INT, KEY u_ix (u))",
                        "CREATE TABLE child (id INT PRIMARY KEY, tu INT, CONSTRAINT child_fk FOREIGN KEY (tu) REFERENCES t (u))"),
                        new Plan.Dropped("index", "t", "u_ix", null), List.of("constraint child_fk on table DB.child"), null),
                new Scenario("an index a foreign key could do without", List.of(
                        "CREATE TABLE t (id INT PRIMARY KEY, u INT, KEY u_ix (u), KEY u_id_ix (u, id))",
                        "CREATE TABLE child (id INT PRIMARY KEY, tu INT, CONSTRAINT child_fk FOREIGN KEY (tu) REFERENCES t (u))"),
                        new Plan.Dropped("index", "t", "u_ix", null), List.of(), "INSERT INTO child VALUES (1, NULL)"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("scenarios")
    void aBlockerIsNamedAndIsInTheWayOnTheServer(Scenario s) throws SQLException {
        String db = MariaDb.newDatabase("blk");
        MariaDb.exec(db, s.setup().toArray(String[]::new));
        List<String> expected = s.expected().stream().map(e -> e.replace("DB", db)).toList();
        assertThat(blockers(db, s.drop(), List.of())).containsExactlyInAnyOrderElementsOf(expected);

        String drop = switch (s.drop().kind()) {
            case "table" -> "DROP TABLE t";
            case "index" -> "ALTER TABLE t DROP INDEX " + MariaDb.quote(s.drop().name());
            default -> "ALTER TABLE t DROP COLUMN " + MariaDb.quote(s.drop().name());
        };
        try (Connection c = MariaDb.dataSource(db).getConnection(); Statement st = c.createStatement()) {
            if (s.probe() == null) {
                assertThat(expected).as("a scenario without probe is one whose drop the server refuses").isNotEmpty();
                assertThatThrownBy(() -> st.execute(drop)).as(drop).isInstanceOf(SQLException.class);
                return;
            }
            st.execute(drop);
            if (expected.isEmpty()) {
                assertThatCode(() -> st.execute(s.probe())).as(s.probe()).doesNotThrowAnyException();
            } else {
                assertThatThrownBy(() -> st.execute(s.probe())).as(s.probe()).isInstanceOf(SQLException.class);
            }
        }
    }

    /** Views anywhere are found; the version databases' (Tandem's) and Tandem's own triggers are not the user's. */
    @Test
    void otherDatabasesCountTandemsOwnObjectsDoNot() throws SQLException {
        String db = MariaDb.newDatabase("blk");
        String elsewhere = MariaDb.newDatabase("reports");
        String version = MariaDb.newDatabase("blk_v");
        MariaDb.exec(db, T, "CREATE TRIGGER _tandem_sync_002_x_t_upd BEFORE UPDATE ON t FOR EACH ROW SET NEW.b = NEW.a");
        MariaDb.exec(elsewhere, "CREATE VIEW far AS SELECT a FROM " + MariaDb.quote(db) + ".t",
                "CREATE PROCEDURE far_p() READS SQL DATA SELECT a FROM " + MariaDb.quote(db) + ".t",
                // A table of its own with the same name: its columns are not the dropped ones.
                "CREATE TABLE t (id INT PRIMARY KEY, a INT)", "CREATE PROCEDURE near_p() READS SQL DATA SELECT a FROM t");
        MariaDb.exec(version, "CREATE VIEW t AS SELECT a FROM " + MariaDb.quote(db) + ".t");
        assertThat(blockers(db, column("t", "a"), List.of(version)))
                .containsExactlyInAnyOrder("view " + elsewhere + ".far", "procedure " + elsewhere + ".far_p (by its text)");
        assertThat(blockers(db, column("t", "a"), List.of())).contains("view " + version + ".t");
    }

    /**
     * A column a shadow column replaces takes its own CHECKs, foreign keys and unique keys to the shadow (Tandem
     * carries them), so only what uses it from outside is in the way.
     */
    @Test
    void aReplacedColumnsOwnConstraintsAreCarriedNotInTheWay() throws SQLException {
        String db = MariaDb.newDatabase("blk");
        MariaDb.exec(db, "CREATE TABLE p (id INT PRIMARY KEY)",
                "CREATE TABLE t (id INT PRIMARY KEY, a INT, b INT, UNIQUE KEY ab_uq (a, b), CONSTRAINT a_lt_b CHECK (a < b),"
                        + " CONSTRAINT t_fk FOREIGN KEY (a) REFERENCES p (id), g INT AS (a + 1) VIRTUAL)",
                "CREATE VIEW v AS SELECT a FROM t");
        assertThat(blockers(db, new Plan.Dropped("replaced", "t", "a", null), List.of()))
                .containsExactlyInAnyOrder("view " + db + ".v", "generated column g of " + db + ".t");
        assertThat(blockers(db, column("t", "a"), List.of())).contains("unique index ab_uq on table " + db + ".t",
                "CHECK constraint a_lt_b on table " + db + ".t", "constraint t_fk on table " + db + ".t");
    }

    private List<String> blockers(String db, Plan.Dropped drop, Collection<String> own) throws SQLException {
        try (Connection c = MariaDb.dataSource(db).getConnection()) {
            return dialect.dropBlockers(c, db, drop, own);
        }
    }
}
