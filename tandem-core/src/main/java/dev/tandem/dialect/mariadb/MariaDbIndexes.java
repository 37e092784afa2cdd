package dev.tandem.dialect.mariadb;

import dev.tandem.catalog.Catalog;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

import static dev.tandem.dialect.mariadb.MariaDbSqlText.quote;

/**
 * The indexes of a database's tables from information_schema.STATISTICS ("Information Schema STATISTICS Table" in
 * the MariaDB manual), the primary key's ({@code PRIMARY}) and the unique keys' included, each unique key naming
 * itself as the constraint it backs.
 *
 * <p>Each definition is what {@code ALTER TABLE ... ADD} takes: {@code UNIQUE INDEX `u` (`a`, `b`(10) DESC)
 * COMMENT '...'}; for the primary key {@code PRIMARY KEY (`id`)}. A prefix key ({@code `b`(10)}) is in the definition
 * only: {@link Catalog.IndexKey} has no length, so an index with one is not {@code simple}. What PostgreSQL has and
 * MariaDB does not (expressions, but for MySQL's functional key parts; INCLUDE, partial indexes, operator classes, storage parameters, tablespaces,
 * replica identity, CLUSTER) is left empty.
 */
final class MariaDbIndexes {
    private MariaDbIndexes() {
    }

    /**
     * One row of information_schema.STATISTICS: one key part of an index. {@code expression} is MySQL's functional key
     * part (8.0.13+), whose {@code column} is NULL ("The INFORMATION_SCHEMA STATISTICS Table", 28.3.34 of the MySQL 8.4
     * manual); MariaDB has none.
     */
    record Part(String table, String name, boolean unique, String column, String expression, Integer prefix,
                boolean descending, String type, boolean disabled, String comment, boolean ignored) {
    }

    /** The indexes of each table, by index name within the table. */
    static Map<String, List<Catalog.Index>> read(Connection c, String database, MariaDbDialect.Flavor flavor)
            throws SQLException {
        List<Part> parts = new ArrayList<>();
        // IGNORED (MariaDB 10.6+), INVISIBLE on MySQL: the optimizer does not use the index, which is still kept up
        // to date.
        try (PreparedStatement ps = c.prepareStatement(query(flavor))) {
            ps.setString(1, database);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    Integer prefix = rs.getObject(5) == null ? null : rs.getInt(5);
                    parts.add(new Part(rs.getString(1), rs.getString(2), rs.getInt(3) == 0, rs.getString(4),
                            rs.getString(11), prefix, "D".equals(rs.getString(6)), rs.getString(7),
                            "disabled".equalsIgnoreCase(rs.getString(8)), rs.getString(9),
                            "YES".equalsIgnoreCase(rs.getString(10))));
                }
            }
        }
        return indexes(parts, flavor);
    }

    /**
     * The indexes {@code parts} make, in the order given (by table, index, position). A functional key part keeps its
     * expression as the key's, in parentheses as MySQL writes it in a key list ("Functional Key Parts", 15.1.15 of the
     * MySQL 8.4 manual), and names no column: a change of a column it mentions is refused at plan when Tandem would
     * have to build the index again ({@link MariaDbDdl#indexKeys}).
     */
    static Map<String, List<Catalog.Index>> indexes(List<Part> parts, MariaDbDialect.Flavor flavor) {
        Map<String, List<Catalog.Index>> result = new LinkedHashMap<>();
        for (int i = 0; i < parts.size(); ) {
            Part first = parts.get(i);
            List<String> columns = new ArrayList<>();
            List<Catalog.IndexKey> keys = new ArrayList<>();
            List<String> keyText = new ArrayList<>();
            boolean simple = true;
            for (; i < parts.size() && parts.get(i).table().equals(first.table()) && parts.get(i).name().equals(first.name()); i++) {
                Part p = parts.get(i);
                if (p.column() == null) {
                    String expression = "(" + p.expression() + ")";
                    keys.add(new Catalog.IndexKey(null, expression, null, null, List.of(), p.descending(), !p.descending()));
                    keyText.add(expression + (p.descending() ? " DESC" : ""));
                    simple = false;
                    continue;
                }
                columns.add(p.column());
                // MariaDB sorts NULL before every value, so NULLs come first in an ascending key and last in a descending one.
                keys.add(new Catalog.IndexKey(p.column(), null, null, null, List.of(), p.descending(), !p.descending()));
                keyText.add(quote(p.column()) + (p.prefix() == null ? "" : "(" + p.prefix() + ")") + (p.descending() ? " DESC" : ""));
                simple &= p.prefix() == null;
            }
            String method = first.type().toLowerCase(Locale.ROOT);
            boolean primary = first.name().equals("PRIMARY");
            String comment = first.comment() == null || first.comment().isEmpty() ? null : first.comment();
            String definition = (primary ? "PRIMARY KEY" : kind(first.unique(), method) + " " + quote(first.name()))
                    + " (" + String.join(", ", keyText) + ")"
                    + (method.equals("hash") && !first.unique() ? " USING HASH" : "")
                    + (comment == null ? "" : " COMMENT " + MariaDbSqlText.literal(comment))
                    + (first.ignored() ? flavor.ignoredIndexClause() : "");
            Catalog.IndexShape shape = new Catalog.IndexShape(method, List.copyOf(keys), List.of(), false, List.of(), null, null);
            result.computeIfAbsent(first.table(), t -> new ArrayList<>()).add(new Catalog.Index(first.name(),
                    List.copyOf(columns), first.unique(), !first.disabled(), definition,
                    first.unique() ? first.name() : null, simple, shape, false, false, comment));
        }
        return result;
    }

    /** The index parts of a database (its one parameter), by table, index and position, as {@code flavor} names them. */
    static String query(MariaDbDialect.Flavor flavor) {
        return """
                SELECT TABLE_NAME, INDEX_NAME, NON_UNIQUE, COLUMN_NAME, SUB_PART, COLLATION, INDEX_TYPE, COMMENT,
                       INDEX_COMMENT, %s, %s
                FROM information_schema.STATISTICS
                WHERE TABLE_SCHEMA = ?
                ORDER BY TABLE_NAME, INDEX_NAME, SEQ_IN_INDEX""".formatted(flavor.indexIgnored(), flavor.indexExpression());
    }

    private static String kind(boolean unique, String method) {
        return switch (method) {
            case "fulltext" -> "FULLTEXT INDEX";
            case "spatial" -> "SPATIAL INDEX";
            default -> unique ? "UNIQUE INDEX" : "INDEX";
        };
    }
}
