package dev.tandem.mariadb;

import dev.tandem.dialect.mariadb.MariaDbDdl;
import dev.tandem.dialect.mariadb.MariaDbDialect.Flavor;
import dev.tandem.engine.Step;
import dev.tandem.testing.MariaDb;
import dev.tandem.testing.Rows;
import org.junit.jupiter.api.Test;

import java.sql.SQLException;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The MySQL flavor's statement forms run on the embedded MariaDB, which accepts them too (prepared statements, the
 * sql_mode refusal, ALGORITHM=INPLACE, CREATE TRIGGER IF NOT EXISTS, skipIf guards): this proves their logic, not
 * that a MySQL server accepts them, which no test here can (no MySQL server runs where they run). Where MySQL's
 * information_schema prints differently (COLUMN_DEFAULT), the test uses values both print alike.
 */
class MySqlFormsOnMariaDbTest {
    private final MariaDbDdl ddl = new MariaDbDdl(Flavor.MYSQL);

    private static String showCreate(String db, String table) {
        return (String) Rows.query(MariaDb.dataSource(), "SHOW CREATE TABLE " + MariaDb.quote(db) + "." + MariaDb.quote(table))
                .get(0).get("Create Table");
    }

    private static long foreignKeyChecks(java.sql.Connection c) throws SQLException {
        try (var st = c.createStatement(); var rs = st.executeQuery("SELECT @@SESSION.foreign_key_checks")) {
            rs.next();
            return rs.getLong(1);
        }
    }

    @Test
    void aColumnIsAddedOnceAndDroppedWithItsIndexesAsPreparedStatements() throws SQLException {
        String db = MariaDb.newDatabase("mysql_cols");
        MariaDb.exec(db, "CREATE TABLE t (id INT PRIMARY KEY)");
        Step add = ddl.addColumn(db, "t", "c", "INT");
        assertThat(MariaDbSteps.apply(add)).isTrue();
        assertThat(MariaDbSteps.apply(add)).as("skipped: the column is there").isFalse();
        MariaDb.exec(db, "CREATE INDEX c_one ON t (c)", "CREATE UNIQUE INDEX c_two ON t (c, id)");
        Step drop = ddl.dropColumn(db, "t", "c", List.of());
        assertThat(MariaDbSteps.apply(drop)).isTrue();
        assertThat(showCreate(db, "t")).doesNotContain("`c`", "c_one", "c_two");
        assertThat(MariaDbSteps.apply(drop)).as("skipped: the column is gone").isFalse();
    }

    @Test
    void aDroppedDefaultLeavesANullableColumnInsertable() {
        String db = MariaDb.newDatabase("mysql_default");
        MariaDb.exec(db, "CREATE TABLE t (id INT PRIMARY KEY, a INT DEFAULT 5, b INT NOT NULL DEFAULT 6)");
        MariaDbSteps.run(ddl.dropDefault(db, "t", "a"));
        MariaDbSteps.run(ddl.dropDefault(db, "t", "b"));
        MariaDb.exec(db, "INSERT INTO t (id, b) VALUES (1, 1)");
        assertThat(Rows.scalar(MariaDb.dataSource(db), "SELECT COUNT(*) FROM t WHERE a IS NULL")).isEqualTo(1L);
        assertThat(showCreate(db, "t")).doesNotContain("DEFAULT 6");
        assertThatThrownBy(() -> MariaDbSteps.apply(ddl.dropDefault(db, "t", "nope")))
                .isInstanceOfSatisfying(SQLException.class, e -> {
                    assertThat(e.getErrorCode()).isEqualTo(1231);
                    assertThat(e.getMessage()).contains("Tandem: column `" + db + "`.`t`.`nope` does not exist");
                });
    }

    /** The foreign key goes in unchecked (foreign_key_checks saved and put back), and the scan refuses by sql_mode. */
    @Test
    void aForeignKeyIsAddedUncheckedAndTheScanRefusesBrokenRows() throws SQLException {
        String db = MariaDb.newDatabase("mysql_fk");
        MariaDb.exec(db, "CREATE TABLE p (id INT PRIMARY KEY)", "INSERT INTO p VALUES (1)",
                "CREATE TABLE t (id INT PRIMARY KEY, pid INT)", "INSERT INTO t VALUES (1, 1), (2, NULL), (3, 9)");
        Step add = ddl.addForeignKeyNotValid(db, "t", "t_pid_fkey", List.of("pid"), "p", List.of("id"), "NO ACTION");
        try (var c = MariaDbSteps.admin().getConnection()) {
            assertThat(MariaDbSteps.apply(c, add)).isTrue();
            assertThat(foreignKeyChecks(c)).as("put back").isEqualTo(1L);
            assertThat(MariaDbSteps.apply(c, add)).as("skipped: the key is there").isFalse();
        }
        Step validate = ddl.validateForeignKey(db, "t", "t_pid_fkey", "p");
        assertThatThrownBy(() -> MariaDbSteps.apply(validate)).isInstanceOfSatisfying(SQLException.class, e ->
                assertThat(e.getMessage()).contains("Tandem: 1 existing row(s) break foreign key t_pid_fkey of `" + db + "`.`t`"));
        MariaDb.exec(db, "DELETE FROM t WHERE id = 3");
        MariaDbSteps.run(validate);
        MariaDbSteps.run(ddl.dropForeignKey(db, "t", "t_pid_fkey", "p"));
        assertThat(MariaDbSteps.apply(ddl.dropForeignKey(db, "t", "t_pid_fkey", "p"))).isFalse();
        assertThat(showCreate(db, "t")).doesNotContain("FOREIGN KEY");
    }

    /** NOT NULL restates the definition (default and comment kept), refuses while a NULL remains, and a missing column. */
    @Test
    void notNullRestatesTheColumnThroughAPreparedModify() {
        String db = MariaDb.newDatabase("mysql_notnull");
        MariaDb.exec(db, "CREATE TABLE t (id INT PRIMARY KEY, c INT DEFAULT 3 COMMENT 'kept')", "INSERT INTO t VALUES (1, NULL)");
        assertThatThrownBy(() -> MariaDbSteps.apply(ddl.setNotNull(db, "t", "c"))).isInstanceOf(SQLException.class);
        MariaDb.exec(db, "UPDATE t SET c = 1");
        MariaDbSteps.run(ddl.setNotNull(db, "t", "c"));
        assertThat(showCreate(db, "t")).contains("`c` int(11) NOT NULL DEFAULT 3 COMMENT 'kept'");
        assertThatThrownBy(() -> MariaDbSteps.apply(ddl.setNotNull(db, "t", "nope"))).isInstanceOfSatisfying(SQLException.class,
                e -> assertThat(e.getMessage()).contains("Tandem: column `" + db + "`.`t`.`nope` does not exist"));
    }

    @Test
    void indexesAreBuiltRenamedAndDroppedOnceEach() throws SQLException {
        String db = MariaDb.newDatabase("mysql_index");
        MariaDb.exec(db, "CREATE TABLE t (id INT PRIMARY KEY, a INT)");
        Step build = ddl.createIndex(db, "t", "i", List.of("a"), true, "btree");
        assertThat(MariaDbSteps.apply(build)).isTrue();
        assertThat(MariaDbSteps.apply(build)).isFalse();
        assertThat(MariaDbSteps.apply(ddl.renameIndex(db, "t", "i", "j"))).isTrue();
        assertThat(MariaDbSteps.apply(ddl.renameIndex(db, "t", "i", "j"))).isFalse();
        MariaDbSteps.run(ddl.dropConstraint(db, "t", "j"));
        MariaDbSteps.run(ddl.dropConstraint(db, "t", "j"));
        assertThat(MariaDbSteps.apply(ddl.dropIndex(db, "t", "j"))).isFalse();
        assertThat(showCreate(db, "t")).doesNotContain("KEY `j`");
    }
}
