package dev.tandem.dialect.mariadb;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

import static dev.tandem.dialect.mariadb.MariaDbNames.literal;
import static dev.tandem.dialect.mariadb.MariaDbNames.qualify;
import static dev.tandem.dialect.mariadb.MariaDbNames.quote;

/**
 * Tries an {@code up}, {@code down}, {@code default} or {@code check} expression of a migration file on MariaDB before
 * anything is changed: MariaDB does not check a trigger's body when it creates the trigger, so an {@code up} naming a
 * column that does not exist would be accepted by expand and then fail every write of the table (1054).
 *
 * <p>The probe is the backfill's own statement on a stand-in for the row: a temporary table with one column of each
 * of the row's names and types and one of the target type, holding a single row of NULLs, and
 * {@code UPDATE <it> SET <target> = (<expression>)} under strict sql_mode ({@code STRICT_ALL_TABLES} added to the
 * session's modes, which are kept otherwise, as they decide how the text is read). A temporary table commits nothing
 * ("CREATE TABLE", TEMPORARY, in the MariaDB manual; measured), is seen by no other session and is dropped afterwards.
 *
 * <p>What passing proves: the text parses; every column it names is in the row; every function it calls exists and
 * takes that many arguments (a stored function's existence is checked when the statement opens, even for no row);
 * it holds no aggregate or window function (refused in a SET, as in a trigger); and what it gives for a row of NULLs,
 * constants included ({@code 'abc'} for an integer, {@code 99999999999} for an INT, PostgreSQL's {@code ||} on text,
 * which MariaDB reads as OR), can be stored in the target type. What it cannot prove: that the values of real rows
 * convert (a {@code CAST} of text that is not a number, text longer than the column; {@link #checkRows} tries the
 * table's existing rows for that), that a sub-select returns at most one row, or that the expression means what was
 * meant. A stored function it calls runs once, with NULL arguments,
 * inside the planning transaction, which is rolled back.
 */
final class MariaDbExpressionCheck {
    /** The temporary table, in the connection's default database, where unqualified names resolve as in the trigger. */
    private static final String TABLE = "_tandem_check";

    private MariaDbExpressionCheck() {
    }

    /**
     * @param rowTypes the row's column names (as the expression names them) and types, as the catalog prints them
     * @throws SQLException with the server's reason (the stand-in's names left out) when the expression does not fit;
     *                      SQLState 42000 when its text or a type would not stay inside Tandem's statements, 3D000 when
     *                      the connection has no default database
     */
    static void check(Connection c, String expression, Map<String, String> rowTypes, String targetType) throws SQLException {
        String lexical = MariaDbExpressionText.problem(expression);
        if (lexical != null) throw new SQLException("the expression " + lexical, "42000");
        List<String> types = new ArrayList<>(rowTypes.values());
        types.add(targetType);
        for (String type : types) {
            String problem = MariaDbTypes.problem(type);
            if (problem != null) throw new SQLException("\"" + type + "\" is not a column type: " + problem, "42000");
        }
        String database = currentDatabase(c);
        String value = valueColumn(rowTypes);
        List<String> columns = new ArrayList<>();
        rowTypes.forEach((name, type) -> columns.add(quote(name) + " " + type + " NULL DEFAULT NULL"));
        columns.add(quote(value) + " " + targetType + " NULL DEFAULT NULL");
        String table = qualify(database, TABLE);
        try (Statement st = c.createStatement()) {
            st.execute("DROP TEMPORARY TABLE IF EXISTS " + table);
            // InnoDB, as the user's tables are: strict mode treats transactional tables alike, and a MEMORY default
            // (default_tmp_storage_engine) could not hold TEXT.
            st.execute("CREATE TEMPORARY TABLE " + table + " (" + String.join(", ", columns) + ") ENGINE=InnoDB");
            try {
                st.execute("INSERT INTO " + table + " () VALUES ()");
                String mode = sqlMode(st);
                st.execute("SET SESSION sql_mode = " + literal(strict(mode)));
                try {
                    st.execute("UPDATE " + table + " SET " + quote(value) + " = (" + expression + ")");
                } catch (SQLException e) {
                    throw inUsersTerms(e, database, value, rowTypes);
                } finally {
                    st.execute("SET SESSION sql_mode = " + literal(mode));
                }
            } finally {
                st.execute("DROP TEMPORARY TABLE IF EXISTS " + table);
            }
        }
    }

    /**
     * The same statement over real rows: {@code INSERT INTO <stand-in> SELECT (<expression>) FROM (<rows offset..
     * offset+limit of the table, by key, under the names the expression uses>)} under strict sql_mode, so that a value
     * the trigger could not store (1292 for {@code CAST('abc' AS SIGNED)}, 1406 for text too long, 1264 out of range)
     * fails here as it would fail the write there. In READ COMMITTED, set before the transaction's first read: the
     * rows are then read as a consistent read with no locks. Measured (PlanOnExistingRowsTest.theRowsAreReadWithoutLocksThatBlockWriters fails without it): under
     * REPEATABLE READ, and when the level is changed after the transaction has read, the same INSERT ... SELECT takes
     * shared next-key locks on every row it reads, and a writer's UPDATE or INSERT of the table waits until the
     * transaction ends. The stand-in is a temporary table in the table's own database; the caller rolls back.
     *
     * @param row the rows' physical columns under the names the expression uses
     */
    static void checkRows(Connection c, String database, String tableName, List<dev.tandem.dialect.Ddl.ViewColumn> row,
                          List<String> orderBy, String expression, String targetType, long offset, long limit)
            throws SQLException {
        if (c.getTransactionIsolation() != Connection.TRANSACTION_READ_COMMITTED) {
            c.setTransactionIsolation(Connection.TRANSACTION_READ_COMMITTED);
        }
        Map<String, String> names = new java.util.LinkedHashMap<>();
        List<String> select = new ArrayList<>();
        for (var col : row) {
            names.put(col.name(), "");
            select.add(quote(col.physical()) + " AS " + quote(col.name()));
        }
        String value = valueColumn(names);
        String stand = qualify(database, TABLE);
        List<String> order = orderBy.stream().map(MariaDbNames::quote).toList();
        try (Statement st = c.createStatement()) {
            st.execute("DROP TEMPORARY TABLE IF EXISTS " + stand);
            st.execute("CREATE TEMPORARY TABLE " + stand + " (" + quote(value) + " " + targetType + " NULL DEFAULT NULL) ENGINE=InnoDB");
            String mode = sqlMode(st);
            st.execute("SET SESSION sql_mode = " + literal(strict(mode)));
            try {
                st.execute("INSERT INTO " + stand + " (" + quote(value) + ") SELECT (" + expression + ") FROM (SELECT "
                        + String.join(", ", select) + " FROM " + qualify(database, tableName)
                        + (order.isEmpty() ? "" : " ORDER BY " + String.join(", ", order))
                        + " LIMIT " + limit + " OFFSET " + offset + ") AS `_tandem_row`");
            } catch (SQLException e) {
                throw inUsersTerms(e, database, value, names);
            } finally {
                st.execute("SET SESSION sql_mode = " + literal(mode));
                st.execute("DROP TEMPORARY TABLE IF EXISTS " + stand);
            }
        }
    }

    /** A name for the target column that is none of the row's (MariaDB's column names match without case). */
    private static String valueColumn(Map<String, String> rowTypes) {
        java.util.Set<String> taken = new java.util.HashSet<>();
        rowTypes.keySet().forEach(n -> taken.add(n.toLowerCase(Locale.ROOT)));
        String name = "_tandem_value";
        for (int i = 2; taken.contains(name); i++) name = "_tandem_value_" + i;
        return name;
    }

    /** The session's modes with STRICT_ALL_TABLES: a value that does not fit is an error, not a warning. */
    static String strict(String mode) {
        for (String m : mode.split(",")) if (m.equalsIgnoreCase("STRICT_ALL_TABLES")) return mode;
        return mode.isEmpty() ? "STRICT_ALL_TABLES" : mode + ",STRICT_ALL_TABLES";
    }

    private static String sqlMode(Statement st) throws SQLException {
        try (ResultSet rs = st.executeQuery("SELECT @@SESSION.sql_mode")) {
            rs.next();
            return rs.getString(1) == null ? "" : rs.getString(1);
        }
    }

    private static String currentDatabase(Connection c) throws SQLException {
        try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery("SELECT DATABASE()")) {
            rs.next();
            if (rs.getString(1) == null) {
                throw new SQLException("cannot check the expression: the connection has no default database (name the"
                        + " application's database in the URL)", "3D000");
            }
            return rs.getString(1);
        }
    }

    /**
     * The server's message without the stand-in's names, which the user never wrote: "for column
     * `db`.`_tandem_check`.`_tandem_value` at row 1" becomes "for the column", and an unknown column is told with the
     * row's columns.
     */
    private static SQLException inUsersTerms(SQLException e, String database, String value, Map<String, String> rowTypes) {
        String message = e.getMessage() == null ? "" : e.getMessage().replaceFirst("^\\(conn=\\d+\\)\\s*", "");
        String said = message
                .replace("column " + qualify(database, TABLE) + "." + quote(value), "the column")
                .replace("column '" + value + "'", "the column")
                .replace(qualify(database, TABLE), "the row")
                .replaceFirst(" at row \\d+", "");
        if (e.getErrorCode() == UNKNOWN_COLUMN) {
            said = said.replaceFirst(" in '[^']*'$", "") + "; the row has " + (rowTypes.isEmpty() ? "no columns"
                    : "columns " + String.join(", ", rowTypes.keySet()));
        }
        return new SQLException(said, e.getSQLState(), e.getErrorCode(), e);
    }

    private static final int UNKNOWN_COLUMN = 1054;
}
