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
 */
final class LiveColumn {
    private final String database;
    private final String table;
    private final String column;

    LiveColumn(String database, String table, String column) {
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
        String extraLeft = "TRIM(REPLACE(REPLACE(REGEXP_REPLACE(EXTRA, 'on update [a-z_]+\\\\([0-9]*\\\\)', ''),"
                + " 'auto_increment', ''), 'INVISIBLE', ''))";
        String definition = "CONCAT(COLUMN_TYPE,"
                + " IF(COLLATION_NAME IS NULL, '', CONCAT(' CHARACTER SET ', CHARACTER_SET_NAME, ' COLLATE ', COLLATION_NAME)),"
                + " " + nullability + ","
                + " IF(COLUMN_DEFAULT IS NULL OR COLUMN_DEFAULT = 'NULL', '', CONCAT(' DEFAULT ', COLUMN_DEFAULT)),"
                + " IF(EXTRA LIKE '%on update %', CONCAT(' ', REGEXP_SUBSTR(EXTRA, 'on update [a-z_]+\\\\([0-9]*\\\\)')), ''),"
                + " IF(EXTRA LIKE '%auto_increment%', ' AUTO_INCREMENT', ''),"
                + " IF(EXTRA LIKE '%INVISIBLE%', ' INVISIBLE', ''),"
                + " ' COMMENT ', QUOTE(" + comment + "),"
                + " COALESCE(" + columnCheck + ", ''))";
        String what = quote(database) + "." + quote(table) + "." + quote(column);
        return "BEGIN NOT ATOMIC\n"
                + "  DECLARE def TEXT DEFAULT (SELECT IF(IS_GENERATED = 'NEVER' AND " + extraLeft + " = '', " + definition
                + ", '')" + where + ");\n"
                + "  IF def IS NULL THEN\n"
                + "    SIGNAL SQLSTATE '42S22' SET MESSAGE_TEXT = " + literal("Tandem: column " + what + " does not exist") + ";\n"
                + "  END IF;\n"
                + "  IF def = '' THEN\n"
                + "    SIGNAL SQLSTATE '0A000' SET MESSAGE_TEXT = " + literal("Tandem: column " + what
                + " is generated or has attributes Tandem cannot restate in a MODIFY, which would drop them") + ";\n"
                + "  END IF;\n"
                // NOWAIT is refused in a stored program's own statements (1314), not in the text it runs.
                + "  EXECUTE IMMEDIATE CONCAT(" + literal(OnlineAlter.prefix(database, table, algorithm) + "MODIFY COLUMN " + quote(column)
                + " ") + ", def, " + literal(OnlineAlter.suffix(algorithm)) + ");\n"
                + "END";
    }

    /** True (as a one-row query's boolean) when the column is already NOT NULL: a skipIf for {@link #notNull}. */
    static final String IS_NOT_NULL = "SELECT EXISTS (SELECT 1 FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = ?"
            + " AND TABLE_NAME = ? AND COLUMN_NAME = ? AND IS_NULLABLE = 'NO')";
}
