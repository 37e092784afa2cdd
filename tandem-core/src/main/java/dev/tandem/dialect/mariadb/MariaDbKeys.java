package dev.tandem.dialect.mariadb;

import dev.tandem.dialect.Dialect;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * How a key walk (backfill, verify) writes a row's key as text and reads it back, per column type, so that a
 * checkpoint stored as text resumes exactly where the walk stopped: binary keys as hex (their bytes are no text),
 * temporal ones as the server prints them, ENUM by its index (the order an index on it keeps), numbers cast back to
 * their own kind (a string compared with a BIGINT is compared as a DOUBLE, which loses digits beyond 2^53: "Type
 * Conversion" in the MariaDB manual). Keys are compared in the expanded form {@code a > ? OR (a = ? AND b > ?)}.
 */
public final class MariaDbKeys {
    private final Dialect dialect;
    private final List<String> columns;
    private final List<String> types;

    /**
     * @param types each key column's type as {@code COLUMN_TYPE} (or {@code DATA_TYPE}) prints it, e.g.
     *              {@code bigint(20) unsigned}, {@code varbinary(16)}, {@code datetime(6)}
     */
    public MariaDbKeys(Dialect dialect, List<String> columns, List<String> types) {
        if (columns.isEmpty() || columns.size() != types.size()) {
            throw new IllegalArgumentException("a key needs at least one column and a type for each");
        }
        this.dialect = dialect;
        this.columns = List.copyOf(columns);
        this.types = types.stream().map(t -> t.trim().toLowerCase(Locale.ROOT)).toList();
    }

    /** The key columns' types as the catalog prints them ({@code COLUMN_TYPE}), in the order given. */
    public static MariaDbKeys of(Dialect dialect, Connection c, String schema, String table, List<String> columns)
            throws SQLException {
        List<String> types = new ArrayList<>();
        for (String column : columns) {
            try (PreparedStatement ps = c.prepareStatement("SELECT COLUMN_TYPE FROM information_schema.COLUMNS"
                    + " WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ? AND COLUMN_NAME = ?")) {
                ps.setString(1, schema);
                ps.setString(2, table);
                ps.setString(3, column);
                try (ResultSet rs = ps.executeQuery()) {
                    if (!rs.next()) {
                        throw new SQLException("no column " + column + " in " + schema + "." + table, "42S22", 1054);
                    }
                    types.add(rs.getString(1));
                }
            }
        }
        return new MariaDbKeys(dialect, columns, types);
    }

    private static String base(String type) {
        int end = 0;
        while (end < type.length() && (Character.isLetterOrDigit(type.charAt(end)) || type.charAt(end) == '_')) end++;
        return type.substring(0, end);
    }

    /** The digits in a type's parentheses, e.g. {@code 6} of {@code datetime(6)}, {@code 10,2} of {@code decimal(10,2)}. */
    private static String modifier(String type) {
        int open = type.indexOf('('), close = type.indexOf(')');
        if (open < 0 || close < open) return null;
        String inside = type.substring(open + 1, close).replace(" ", "");
        return inside.matches("\\d+(,\\d+)?") ? inside : null;
    }

    /** The key column as text, in the select list. */
    String select(int i) {
        String col = dialect.quote(columns.get(i));
        return switch (base(types.get(i))) {
            case "binary", "varbinary", "tinyblob", "blob", "mediumblob", "longblob", "bit" -> "HEX(" + col + ")";
            case "date", "datetime", "timestamp", "time" -> "CAST(" + col + " AS CHAR)";
            case "enum" -> "(" + col + " + 0)";
            default -> col;
        };
    }

    /** The marker that reads a key part back as the column's own kind of value. */
    String parameter(int i) {
        String type = types.get(i);
        String mod = modifier(type);
        return switch (base(type)) {
            case "binary", "varbinary", "tinyblob", "blob", "mediumblob", "longblob" -> "UNHEX(?)";
            case "bit" -> "CAST(CONV(?, 16, 10) AS UNSIGNED)";
            case "tinyint", "smallint", "mediumint", "int", "integer", "bigint", "year" ->
                    type.contains("unsigned") || type.startsWith("year") ? "CAST(? AS UNSIGNED)" : "CAST(? AS SIGNED)";
            case "enum" -> "CAST(? AS UNSIGNED)";
            case "decimal", "numeric", "dec", "fixed" -> "CAST(? AS DECIMAL" + (mod == null ? "" : "(" + mod + ")") + ")";
            case "float", "double", "real" -> "CAST(? AS DOUBLE)";
            case "date" -> "CAST(? AS DATE)";
            case "datetime", "timestamp" -> "CAST(? AS DATETIME" + (mod == null ? "" : "(" + mod + ")") + ")";
            case "time" -> "CAST(? AS TIME" + (mod == null ? "" : "(" + mod + ")") + ")";
            default -> "?";
        };
    }

    public int size() {
        return columns.size();
    }

    /** The key parts as text, for the select list: {@code k1, k2}. */
    public String selectList() {
        List<String> parts = new ArrayList<>();
        for (int i = 0; i < columns.size(); i++) parts.add(select(i));
        return String.join(", ", parts);
    }

    /** {@code ORDER BY} the key, {@code ASC} or {@code DESC}. */
    public String order(String direction) {
        return String.join(", ", columns.stream().map(k -> dialect.quote(k) + " " + direction).toList());
    }

    /**
     * The rows after a key, as {@code a > ? OR (a = ? AND b > ?) ...}, its markers filled by {@link #afterValues};
     * {@code comparison} {@code >} for after, {@code <=} for up to.
     */
    public String compare(String comparison) {
        boolean strictLast = comparison.equals(">") || comparison.equals("<");
        String strict = comparison.substring(0, 1);
        List<String> alternatives = new ArrayList<>();
        for (int i = 0; i < columns.size(); i++) {
            List<String> terms = new ArrayList<>();
            for (int j = 0; j < i; j++) terms.add(dialect.quote(columns.get(j)) + " = " + parameter(j));
            boolean last = i == columns.size() - 1;
            terms.add(dialect.quote(columns.get(i)) + " " + (last && !strictLast ? comparison : strict) + " " + parameter(i));
            alternatives.add(terms.size() == 1 ? terms.get(0) : "(" + String.join(" AND ", terms) + ")");
        }
        return "(" + String.join(" OR ", alternatives) + ")";
    }

    /** The values for the markers of {@link #compare}, in order. */
    public List<String> afterValues(List<String> key) {
        if (key.size() != columns.size()) {
            throw new IllegalArgumentException("a key of " + columns.size() + " part(s) cannot resume from " + key);
        }
        List<String> values = new ArrayList<>();
        for (int i = 0; i < columns.size(); i++) {
            for (int j = 0; j < i; j++) values.add(key.get(j));
            values.add(key.get(i));
        }
        return values;
    }

    /** The key of the current row, read from its first {@link #size} columns starting at {@code first}. */
    public List<String> read(ResultSet rs, int first) throws SQLException {
        List<String> key = new ArrayList<>();
        for (int i = 0; i < columns.size(); i++) key.add(rs.getString(first + i));
        return key;
    }
}
