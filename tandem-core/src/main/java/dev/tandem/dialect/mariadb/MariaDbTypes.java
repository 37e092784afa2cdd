package dev.tandem.dialect.mariadb;

import dev.tandem.dialect.Dialect;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Locale;

/**
 * Column types as the server understands them: a type is checked by creating a one-column temporary table of it,
 * and its canonical form is the column's type as {@code SHOW COLUMNS} prints it, which is how
 * {@code information_schema.COLUMNS.COLUMN_TYPE} prints it too ({@code INT} → {@code int(11)} on MariaDB,
 * {@code int} on MySQL 8.0.19 and later). MariaDB has no cast to an arbitrary column type, so no cheaper probe exists.
 */
final class MariaDbTypes {
    private static final String PROBE = "_tandem_type_probe";

    private final Dialect dialect;

    MariaDbTypes(Dialect dialect) {
        this.dialect = dialect;
    }

    /**
     * The type as the catalog prints it ({@code COLUMN_TYPE}). A character set or collation written with the type is
     * checked but not part of the answer: as on PostgreSQL, where a collation is no part of a type, the catalog holds
     * it apart ({@code Catalog.Attributes}).
     *
     * @throws SQLException with the server's reason when it does not know the type, or when the connection has no
     *                      default database (a temporary table lives in one; "CREATE TEMPORARY TABLE" needs that
     *                      database's CREATE TEMPORARY TABLES privilege)
     */
    String canonical(Connection c, String type) throws SQLException {
        String problem = problem(type);
        if (problem != null) throw new SQLException("\"" + type + "\" is not a column type: " + problem, "42000");
        String database = currentDatabase(c);
        if (database == null) {
            throw new SQLException("cannot check the type " + type + ": the connection has no default database"
                    + " (name one in the URL)", "3D000");
        }
        String probe = dialect.qualify(database, PROBE);
        try (Statement st = c.createStatement()) {
            // A temporary table neither commits the open transaction nor shows to other sessions ("CREATE TABLE",
            // TEMPORARY, in the MariaDB manual); a leftover of an earlier failure is dropped first.
            st.execute("DROP TEMPORARY TABLE IF EXISTS " + probe);
            st.execute("CREATE TEMPORARY TABLE " + probe + " (v " + type + ")");
            try (ResultSet rs = st.executeQuery("SHOW COLUMNS FROM " + probe)) {
                if (!rs.next()) throw new SQLException("\"" + type + "\" made no column", "42000");
                String canonical = rs.getString("Type");
                if (rs.next()) throw new SQLException("\"" + type + "\" is more than one column type", "42000");
                return canonical;
            } finally {
                st.execute("DROP TEMPORARY TABLE IF EXISTS " + probe);
            }
        }
    }

    private static String currentDatabase(Connection c) throws SQLException {
        try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery("SELECT DATABASE()")) {
            rs.next();
            return rs.getString(1);
        }
    }

    /**
     * Why {@code type} cannot be only a type, or null: it goes into DDL as written, so nothing that could end the
     * column definition or the statement may be in it. Outside quotes only letters, digits, {@code _}, spaces,
     * commas within parentheses and balanced parentheses (ENUM's and SET's values are quoted strings).
     */
    static String problem(String type) {
        if (type == null || type.isBlank()) return "it is empty";
        int depth = 0;
        for (int i = 0; i < type.length(); i++) {
            char ch = type.charAt(i);
            if (ch == '\'') {
                int end = i + 1;
                while (end < type.length()) {
                    if (type.charAt(end) == '\\') end += 2;
                    else if (type.charAt(end) == '\'' && end + 1 < type.length() && type.charAt(end + 1) == '\'') end += 2;
                    else if (type.charAt(end) == '\'') break;
                    else end++;
                }
                if (end >= type.length()) return "a quoted string is not closed";
                i = end;
            } else if (ch == '(') {
                depth++;
            } else if (ch == ')') {
                if (--depth < 0) return "a parenthesis closes that was not opened";
            } else if (ch == ',') {
                if (depth == 0) return "a comma outside parentheses would start another column";
            } else if (!(Character.isLetterOrDigit(ch) || ch == '_' || ch == ' ' || ch == '.')) {
                return "'" + ch + "' has no place in a type";
            }
        }
        if (depth != 0) return "a parenthesis is not closed";
        for (String word : type.replaceAll("'([^'\\\\]|\\\\.|'')*'", "''").replaceAll("\\([^()]*\\)", " ")
                .toLowerCase(Locale.ROOT).split("[\\s,()]+")) {
            if (ATTRIBUTES.contains(word)) return "\"" + word + "\" belongs to a column definition, not to its type";
        }
        return null;
    }

    /** Words that start a column attribute (nullability, default, key, check, generation, comment), not a type. */
    private static final java.util.Set<String> ATTRIBUTES = java.util.Set.of("not", "null", "default", "auto_increment",
            "primary", "unique", "key", "check", "constraint", "references", "as", "generated", "always", "comment",
            "invisible", "on", "virtual", "persistent", "stored", "column_format", "storage", "compressed");
}
