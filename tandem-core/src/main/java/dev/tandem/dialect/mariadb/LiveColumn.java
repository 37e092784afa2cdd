package dev.tandem.dialect.mariadb;

import static dev.tandem.dialect.mariadb.MariaDbNames.literal;
import static dev.tandem.dialect.mariadb.MariaDbNames.quote;

/**
 * An ALTER TABLE ... MODIFY COLUMN that restates a column's whole definition as the server has it when the statement
 * runs, changing one part of it. MariaDB has no {@code ALTER COLUMN ... SET NOT NULL} and no way to change a column's
 * comment alone: MODIFY replaces the definition, and whatever it leaves out is gone (its default, comment, collation,
 * INVISIBLE, ON UPDATE, its column CHECK: measured, instantly and silently). Tandem does not know the definition when it
 * plans, so the statement reads it from information_schema.COLUMNS inside an anonymous block ("BEGIN NOT ATOMIC" in the
 * MariaDB manual) and refuses (SIGNAL) a column it cannot restate faithfully: a generated or system-versioned one.
 *
 * <p>On MySQL the same definition is built into a user variable and run as a prepared statement, and a refusal is
 * {@link MySqlForms#refuseIf}'s (MySQL has no anonymous blocks). What information_schema.COLUMNS says differs there
 * ("The INFORMATION_SCHEMA COLUMNS Table", 28.3.8 of the MySQL 8.4 manual): no IS_GENERATED (EXTRA says
 * {@code VIRTUAL GENERATED} or {@code STORED GENERATED}); COLUMN_DEFAULT is the bare value, not an SQL literal, and an
 * expression default is marked {@code DEFAULT_GENERATED} in EXTRA; {@code on update CURRENT_TIMESTAMP} may have no
 * parentheses; a column's CHECK is a table constraint, which MODIFY leaves in place. A BIT column with a default is
 * refused there (its default prints as {@code b'..'}, which this does not restate).
 */
final class LiveColumn {
    private final OnlineAlter alter;
    private final MariaDbDialect.Flavor flavor;
    private final String database;
    private final String table;
    private final String column;

    LiveColumn(OnlineAlter alter, MariaDbDialect.Flavor flavor, String database, String table, String column) {
        this.alter = alter;
        this.flavor = flavor;
        this.database = database;
        this.table = table;
        this.column = column;
    }

    /** The column made NOT NULL; fails (1265, 1138) while a row holds a NULL. */
    String notNull(OnlineAlter.Algorithm algorithm) {
        return modify(algorithm, "' NOT NULL'", "COLUMN_COMMENT");
    }

    /** The column with a new comment, nullability as it is. */
    String withComment(OnlineAlter.Algorithm algorithm, String comment) {
        return modify(algorithm, "IF(IS_NULLABLE = 'YES', ' NULL', ' NOT NULL')", literal(comment));
    }

    /**
     * @param nullability SQL over the row of information_schema.COLUMNS giving {@code ' NULL'} or {@code ' NOT NULL'}
     * @param comment     SQL over that row giving the comment's text
     */
    private String modify(OnlineAlter.Algorithm algorithm, String nullability, String comment) {
        String where = " FROM information_schema.COLUMNS col WHERE col.TABLE_SCHEMA = " + literal(database)
                + " AND col.TABLE_NAME = " + literal(table) + " AND col.COLUMN_NAME = " + literal(column);
        // A column's own CHECK is named after the column.
        String columnCheck = "(SELECT CONCAT(' CHECK (', k.CHECK_CLAUSE, ')') FROM information_schema.CHECK_CONSTRAINTS k"
                + " WHERE k.CONSTRAINT_SCHEMA = col.TABLE_SCHEMA AND k.TABLE_NAME = col.TABLE_NAME"
                + " AND k.CONSTRAINT_NAME = col.COLUMN_NAME AND k.LEVEL = 'Column')";
        // EXTRA holds what follows the type: what is left after the parts restated here must be nothing.
        boolean mysql = flavor == MariaDbDialect.Flavor.MYSQL;
        String onUpdate = mysql ? "on update [A-Za-z_]+(\\\\([0-9]*\\\\))?" : "on update [a-z_]+\\\\([0-9]*\\\\)";
        String extraLeft = "TRIM(REPLACE(REPLACE(REGEXP_REPLACE(" + (mysql ? "REPLACE(EXTRA, 'DEFAULT_GENERATED', '')" : "EXTRA")
                + ", '" + onUpdate + "', ''), 'auto_increment', ''), 'INVISIBLE', ''))";
        String defaultClause = mysql
                ? " IF(COLUMN_DEFAULT IS NULL, '', CONCAT(' DEFAULT ', IF(EXTRA LIKE '%DEFAULT_GENERATED%',"
                + " CONCAT('(', COLUMN_DEFAULT, ')'), QUOTE(COLUMN_DEFAULT)))),"
                : " IF(COLUMN_DEFAULT IS NULL OR COLUMN_DEFAULT = 'NULL', '', CONCAT(' DEFAULT ', COLUMN_DEFAULT)),";
        String restatable = mysql ? "EXTRA NOT LIKE '%VIRTUAL GENERATED%' AND EXTRA NOT LIKE '%STORED GENERATED%'"
                + " AND NOT (DATA_TYPE = 'bit' AND COLUMN_DEFAULT IS NOT NULL)" : "IS_GENERATED = 'NEVER'";
        String definition = "CONCAT(COLUMN_TYPE,"
                + " IF(COLLATION_NAME IS NULL, '', CONCAT(' CHARACTER SET ', CHARACTER_SET_NAME, ' COLLATE ', COLLATION_NAME)),"
                + " " + nullability + ","
                + defaultClause
                + " IF(EXTRA LIKE '%on update %', CONCAT(' ', REGEXP_SUBSTR(EXTRA, '" + onUpdate + "')), ''),"
                + " IF(EXTRA LIKE '%auto_increment%', ' AUTO_INCREMENT', ''),"
                + " IF(EXTRA LIKE '%INVISIBLE%', ' INVISIBLE', ''),"
                + " ' COMMENT ', QUOTE(" + comment + "),"
                + (mysql ? "''" : " COALESCE(" + columnCheck + ", '')") + ")";
        String what = quote(database) + "." + quote(table) + "." + quote(column);
        String missing = "column " + what + " does not exist";
        String cannot = "column " + what + " is generated or has attributes Tandem cannot restate in a MODIFY, which would"
                + " drop them";
        if (mysql) {
            return "SET @tandem_definition = (SELECT IF(" + restatable + " AND " + extraLeft + " = '', " + definition
                    + ", '')" + where + ");\n"
                    + MySqlForms.refuseIf("@tandem_definition IS NULL", literal(missing)) + ";\n"
                    + MySqlForms.refuseIf("@tandem_definition = ''", literal(cannot)) + ";\n"
                    + MySqlForms.run("CONCAT(" + literal(alter.prefix(database, table, algorithm) + "MODIFY COLUMN "
                    + quote(column) + " ") + ", @tandem_definition, " + literal(alter.suffix(algorithm)) + ")");
        }
        return "BEGIN NOT ATOMIC\n"
                + "  DECLARE def TEXT DEFAULT (SELECT IF(" + restatable + " AND " + extraLeft + " = '', " + definition
                + ", '')" + where + ");\n"
                + "  IF def IS NULL THEN\n"
                + "    SIGNAL SQLSTATE '42S22' SET MESSAGE_TEXT = " + literal("Tandem: " + missing) + ";\n"
                + "  END IF;\n"
                + "  IF def = '' THEN\n"
                + "    SIGNAL SQLSTATE '0A000' SET MESSAGE_TEXT = " + literal("Tandem: " + cannot) + ";\n"
                + "  END IF;\n"
                // NOWAIT is refused in a stored program's own statements (1314), not in the text it runs.
                + "  EXECUTE IMMEDIATE CONCAT(" + literal(alter.prefix(database, table, algorithm) + "MODIFY COLUMN " + quote(column)
                + " ") + ", def, " + literal(alter.suffix(algorithm)) + ");\n"
                + "END";
    }

    /** True (as a one-row query's boolean) when the column is already NOT NULL: a skipIf for {@link #notNull}. */
    static final String IS_NOT_NULL = "SELECT EXISTS (SELECT 1 FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = ?"
            + " AND TABLE_NAME = ? AND COLUMN_NAME = ? AND IS_NULLABLE = 'NO')";
}
