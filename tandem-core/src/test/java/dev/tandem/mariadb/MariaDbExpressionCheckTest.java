package dev.tandem.mariadb;

import dev.tandem.dialect.Ddl;
import dev.tandem.dialect.mariadb.MariaDbDdl;
import dev.tandem.dialect.mariadb.MariaDbDialect;
import dev.tandem.migration.SqlExpressionText;
import dev.tandem.testing.MariaDb;
import dev.tandem.testing.Rows;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.LinkedHashMap;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

/**
 * The plan-time check of an expression on MariaDB: it refuses what would fail in the trigger or the backfill, with the
 * server's reason, passes what fits, runs nothing the text smuggles in, and leaves nothing behind.
 */
class MariaDbExpressionCheckTest {
    private final MariaDbDialect dialect = new MariaDbDialect(MariaDbDialect.Flavor.MARIADB);
    private String db;

    /** The old row of a users table, in the types the catalog prints. */
    private static final Map<String, String> ROW = new LinkedHashMap<>();

    static {
        ROW.put("id", "int(11)");
        ROW.put("name", "varchar(50)");
        ROW.put("enabled", "tinyint(4)");
        ROW.put("kind", "enum('a','b')");
        ROW.put("seen", "timestamp");
        ROW.put("price", "decimal(10,2)");
        ROW.put("big", "bigint(20) unsigned");
        ROW.put("notes", "text");
    }

    @BeforeEach
    void setUp() {
        db = MariaDb.newDatabase("exprcheck");
        MariaDb.exec(db, "CREATE TABLE groups (id INT PRIMARY KEY, title VARCHAR(20))",
                "INSERT INTO groups VALUES (1, 'one'), (2, 'two')",
                "CREATE FUNCTION shout(s VARCHAR(50)) RETURNS VARCHAR(60) DETERMINISTIC RETURN UPPER(s)");
    }

    private void check(String expression, String targetType) throws SQLException {
        try (Connection c = MariaDb.dataSource(db).getConnection()) {
            c.setAutoCommit(false);
            try {
                dialect.checkExpression(c, expression, ROW, targetType);
            } finally {
                c.rollback();
            }
        }
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', quoteCharacter = '~', textBlock = """
            nosuch + 1                                    | int            | Unknown column 'nosuch'; the row has columns id, name, enabled
            name +                                        | varchar(60)    | error in your SQL syntax
            nosuchfn(name)                                | varchar(60)    | nosuchfn does not exist
            LENGTH(name, 1)                               | int            | Incorrect parameter count in the call to native function 'LENGTH'
            'abc'                                         | int            | Incorrect integer value: 'abc' for the column
            99999999999                                   | int            | Out of range value for the column
            COALESCE(name, 'far too long for it')         | varchar(5)     | Data too long for the column
            max(id)                                       | int            | Invalid use of group function
            ROW_NUMBER() OVER ()                          | int            | Window function is allowed only in SELECT list
            1/0                                           | int            | Division by 0
            """)
    void refusesWhatWouldFailInTheTriggerWithTheServersReason(String expression, String type, String reason) {
        SQLException e = catchThrowableOfType(() -> check(expression, type), SQLException.class);
        assertThat((Throwable) e).as(expression).isNotNull();
        assertThat(dialect.describeError(e)).contains(reason).doesNotContain("_tandem_check").doesNotContain("_tandem_value");
    }

    /**
     * PostgreSQL's concatenation is a logical OR on MariaDB (without PIPES_AS_CONCAT): over a row of NULLs the text
     * turns into a number, which strict mode refuses, so a migration written for PostgreSQL is caught at plan.
     */
    @Test
    void postgresqlsConcatenationIsCaught() {
        assertThatThrownBy(() -> check("lower(name) || '@example.org'", "varchar(60)")).isInstanceOf(SQLException.class)
                .hasMessageContaining("Truncated incorrect DOUBLE value: '@example.org'");
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', quoteCharacter = '~', textBlock = """
            id + 1                                                          | bigint
            CONCAT(name, '@example.org')                                    | varchar(70)
            CASE WHEN enabled <> 0 THEN 'yes' ELSE 'no' END                 | varchar(3)
            enabled <> 0                                                    | boolean
            (SELECT title FROM groups WHERE groups.id = enabled)            | varchar(20)
            shout(name)                                                     | varchar(60)
            IF(kind = 'a', seen, NULL)                                      | datetime
            price * 100                                                     | bigint
            big DIV 2                                                       | bigint(20) unsigned
            JSON_OBJECT('notes', notes)                                     | longtext
            NULL                                                            | date
            CURRENT_TIMESTAMP                                               | datetime(6)
            `name` # a comment that ends\\n                                 | varchar(50)
            "a string with ; and ) inside"                                  | varchar(40)
            """)
    void passesWhatFits(String expression, String type) throws SQLException {
        check(expression.replace("\\n", "\n"), type);
    }

    /**
     * Texts that are one expression by PostgreSQL's lexical rules (so the migration reader lets them through) but
     * not by MariaDB's: written into a trigger's body ({@code SET NEW.`x` = (<text>);}) the first deletes every row of
     * another table on each insert, the second assigns a second column (both measured). They are refused before
     * anything runs.
     */
    @ParameterizedTest
    @ValueSource(strings = {
            "'\\'') ; DELETE FROM groups ; SET @a = ('\\''",   // a backslash escapes on MariaDB only: a DELETE
            "1 # (\n), @tandem_version = (2 # )\n",           // # is a comment on MariaDB only: a second assignment
            "(1 # )\n",                                       // a # comment hides a ')'
            "1 /*! ; DELETE FROM groups */",                   // an executable comment runs its text
    })
    void refusesTextThatLeavesItsParenthesesByMariaDbsRules(String text) throws SQLException {
        assertThat(SqlExpressionText.problem(text)).as("PostgreSQL's rules let it through").isNull();
        assertThatThrownBy(() -> check(text, "int")).isInstanceOf(SQLException.class).hasMessageStartingWith("the expression ");
        assertThat(Rows.scalar(MariaDb.dataSource(db), "SELECT COUNT(*) FROM groups")).isEqualTo(2L);
    }

    /** Whoever built the plan, no sync trigger is written from such text: its body is where it would run. */
    @Test
    void noSyncTriggerIsWrittenFromSuchText() {
        String smuggled = "'\\'') ; DELETE FROM groups ; SET @a = ('\\''";
        var bindings = java.util.List.of(new Ddl.Binding("id", "id"), new Ddl.Binding("name", "name"));
        var trigger = new Ddl.SyncTrigger(db, "users", "tandem", "f", "trg", db + "_002_x", java.util.List.of(db), bindings,
                bindings, java.util.List.of(), java.util.List.of(new Ddl.Assignment("name", smuggled, null)),
                java.util.List.of(), java.util.List.of(), null, null, java.util.List.of(), "002_x", null, java.util.List.of());
        assertThatThrownBy(() -> new MariaDbDdl().createSyncTrigger(trigger)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("closes a parenthesis it did not open");
    }

    @ParameterizedTest
    @ValueSource(strings = {"1; DELETE FROM groups", "1) ; DELETE FROM groups ; SELECT (1", "'open", "`open", "1 # to the end",
            "1 -- to the end", "(1", "1)", "1 /* open"})
    void refusesTextThatWouldEndOrEscapeTheStatement(String text) {
        assertThatThrownBy(() -> check(text, "int")).isInstanceOf(SQLException.class).hasMessageStartingWith("the expression ");
        assertThat(Rows.scalar(MariaDb.dataSource(db), "SELECT COUNT(*) FROM groups")).isEqualTo(2L);
    }

    /** A backslash in a string is read either way, so the text must stay inside with and without NO_BACKSLASH_ESCAPES. */
    @Test
    void aStringIsClosedWhateverTheBackslashMeans() throws SQLException {
        check("CONCAT(name, 'a\\\\b')", "varchar(60)");
        assertThatThrownBy(() -> check("'a\\'", "varchar(5)")).hasMessageContaining("never closed");
        // MariaDB itself prints 'it\'s'; a session with NO_BACKSLASH_ESCAPES would read the rest as SQL.
        assertThatThrownBy(() -> check("CONCAT(name, 'it\\'s')", "varchar(60)")).hasMessageContaining("rather than");
        check("CONCAT(name, 'it''s')", "varchar(60)");
    }

    @Test
    void nothingIsCommittedAndNothingIsLeftBehind() throws SQLException {
        try (Connection c = MariaDb.dataSource(db).getConnection(); Statement st = c.createStatement()) {
            c.setAutoCommit(false);
            String modeBefore = scalar(st, "SELECT @@SESSION.sql_mode");
            st.execute("INSERT INTO groups VALUES (3, 'three')");
            dialect.checkExpression(c, "CONCAT(name, '!')", ROW, "varchar(60)");
            assertThatThrownBy(() -> dialect.checkExpression(c, "'abc'", ROW, "int")).isInstanceOf(SQLException.class);
            assertThatThrownBy(() -> dialect.checkExpression(c, "nosuch", ROW, "int")).isInstanceOf(SQLException.class);
            assertThat(scalar(st, "SELECT @@SESSION.sql_mode")).isEqualTo(modeBefore);
            assertThatThrownBy(() -> st.executeQuery("SELECT * FROM _tandem_check")).isInstanceOf(SQLException.class)
                    .hasMessageContaining("doesn't exist");
            c.rollback();
        }
        assertThat(Rows.scalar(MariaDb.dataSource(db), "SELECT COUNT(*) FROM groups")).as("the insert was never committed")
                .isEqualTo(2L);
    }

    /** Not a session's own: the check names the database it needs. */
    @Test
    void aConnectionWithoutADatabaseIsToldSo() throws SQLException {
        try (Connection c = MariaDb.withoutDatabase().getConnection()) {
            assertThatThrownBy(() -> dialect.checkExpression(c, "1", Map.of(), "int")).isInstanceOf(SQLException.class)
                    .hasMessageContaining("no default database");
        }
    }

    private static String scalar(Statement st, String sql) throws SQLException {
        try (ResultSet rs = st.executeQuery(sql)) {
            rs.next();
            return rs.getString(1);
        }
    }
}
