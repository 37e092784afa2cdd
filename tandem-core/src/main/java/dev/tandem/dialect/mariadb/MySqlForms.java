package dev.tandem.dialect.mariadb;

import dev.tandem.dialect.mariadb.OnlineAlter.Algorithm;

import static dev.tandem.dialect.mariadb.MariaDbNames.literal;
import static dev.tandem.dialect.mariadb.MariaDbNames.quote;

/**
 * The MySQL flavor's forms of what MariaDB writes with statements MySQL does not have: anonymous blocks
 * ({@code BEGIN NOT ATOMIC}, {@code FOR ... IN}, {@code EXECUTE IMMEDIATE}), {@code SIGNAL} outside a stored program,
 * and {@code IF [NOT] EXISTS} on the clauses of ALTER TABLE.
 *
 * <ul>
 *   <li>A statement whose text depends on the catalog when it runs is built into a user variable and run by
 *       {@code PREPARE ... FROM @var; EXECUTE} ("Prepared Statements", section 15.5 of the MySQL 8.4 manual: ALTER TABLE,
 *       DO, SELECT and SET may be prepared).</li>
 *   <li>MySQL has no statement that fails with a chosen message outside a stored program: SIGNAL cannot be prepared
 *       ("Restrictions on Condition Handling", 15.6.8) and compound statements exist only in stored programs
 *       ("Compound Statements", 15.6). A refusal therefore assigns its message to {@code sql_mode}, which refuses any
 *       value that is not a list of modes (error 1231, "Variable 'sql_mode' can't be set to the value of 'Tandem: ...'")
 *       and changes nothing; when the condition does not hold, it assigns sql_mode its own value.</li>
 *   <li>A clause MySQL cannot guard with IF [NOT] EXISTS gets a {@code skipIf} query instead (the constants here).</li>
 * </ul>
 *
 * <p>These forms were written from the MySQL 8.0/8.4 manual and never run against a MySQL server (none runs where
 * Tandem is tested). MariaDB accepts every one of them too, and {@code MySqlFormsOnMariaDbTest} runs them there, which
 * proves their logic, not that MySQL accepts them.
 */
final class MySqlForms {
    static final String COLUMN_EXISTS = "SELECT EXISTS (SELECT 1 FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = ?"
            + " AND TABLE_NAME = ? AND COLUMN_NAME = ?)";
    static final String COLUMN_MISSING = "SELECT NOT " + COLUMN_EXISTS.substring("SELECT ".length());
    static final String FOREIGN_KEY_EXISTS = "SELECT EXISTS (SELECT 1 FROM information_schema.REFERENTIAL_CONSTRAINTS"
            + " WHERE CONSTRAINT_SCHEMA = ? AND TABLE_NAME = ? AND CONSTRAINT_NAME = ?)";
    static final String FOREIGN_KEY_MISSING = "SELECT NOT " + FOREIGN_KEY_EXISTS.substring("SELECT ".length());

    private final OnlineAlter alter;

    MySqlForms(OnlineAlter alter) {
        this.alter = alter;
    }

    /** Runs the statement whose text {@code textExpression} (SQL giving a string) yields when this runs. */
    static String run(String textExpression) {
        return "SET @tandem_ddl = " + textExpression + ";\n"
                + "PREPARE tandem_ddl FROM @tandem_ddl;\n"
                + "EXECUTE tandem_ddl;\n"
                + "DEALLOCATE PREPARE tandem_ddl";
    }

    /**
     * Fails with error 1231 whose message holds {@code 'Tandem: <message>'} when {@code condition} is true; does nothing
     * otherwise (a NULL condition included).
     *
     * @param message SQL giving the message's text
     */
    static String refuseIf(String condition, String message) {
        return "SET SESSION sql_mode = IF(" + condition + ", CONCAT('Tandem: ', " + message + "), @@SESSION.sql_mode)";
    }

    /** The indexes over the column (in place, one ALTER), then the column (INSTANT, MySQL 8.0.29 and later). */
    String dropColumn(String database, String table, String column) {
        String indexes = "(SELECT IF(COUNT(*) = 0, 'DO 0', CONCAT(" + literal(alter.prefix(database, table, Algorithm.NOCOPY))
                + ", GROUP_CONCAT(DISTINCT CONCAT('DROP INDEX `', REPLACE(INDEX_NAME, '`', '``'), '`') SEPARATOR ', '), "
                + literal(alter.suffix(Algorithm.NOCOPY)) + ")) FROM information_schema.STATISTICS WHERE TABLE_SCHEMA = "
                + literal(database) + " AND TABLE_NAME = " + literal(table) + " AND COLUMN_NAME = " + literal(column)
                + " AND INDEX_NAME <> 'PRIMARY')";
        return run(indexes) + ";\n" + alter.sql(database, table, Algorithm.INSTANT, "DROP COLUMN " + quote(column));
    }

    /** DROP DEFAULT, or SET DEFAULT NULL for a nullable column, as the column is when this runs. */
    String dropDefault(String database, String table, String column) {
        String where = " FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = " + literal(database) + " AND TABLE_NAME = "
                + literal(table) + " AND COLUMN_NAME = " + literal(column);
        return refuseIf("NOT EXISTS (SELECT 1" + where + ")", literal("column " + what(database, table, column)
                + " does not exist")) + ";\n"
                + run("(SELECT CONCAT(" + literal(alter.prefix(database, table, Algorithm.INSTANT) + "ALTER COLUMN "
                + quote(column)) + ", IF(IS_NULLABLE = 'YES', ' SET DEFAULT NULL', ' DROP DEFAULT'), "
                + literal(alter.suffix(Algorithm.INSTANT)) + ")" + where + ")");
    }

    /**
     * Counts into {@code @tandem_violations} the rows of {@code select} (a statement's text, SQL giving a string), then
     * fails naming their number and {@code what} they break.
     */
    static String countViolations(String selectText, String what) {
        return run(selectText) + ";\n"
                + refuseIf("@tandem_violations > 0", "@tandem_violations, " + literal(" existing row(s) break " + what));
    }

    static String what(String database, String table, String column) {
        return quote(database) + "." + quote(table) + "." + quote(column);
    }
}
