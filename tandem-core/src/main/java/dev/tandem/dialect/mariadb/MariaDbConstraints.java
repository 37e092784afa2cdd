package dev.tandem.dialect.mariadb;

import dev.tandem.catalog.Catalog;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static dev.tandem.dialect.mariadb.MariaDbSqlText.quote;

/**
 * The constraints of a database's tables from information_schema: primary keys, unique keys, foreign keys and CHECK
 * constraints ("Information Schema TABLE_CONSTRAINTS, KEY_COLUMN_USAGE, REFERENTIAL_CONSTRAINTS and
 * CHECK_CONSTRAINTS Tables" in the MariaDB manual), each with a definition as {@code ALTER TABLE ... ADD} takes it
 * after the constraint's name: {@code PRIMARY KEY (`id`)}, {@code UNIQUE (`a`, `b`)},
 * {@code FOREIGN KEY (`a`) REFERENCES `db`.`t` (`id`) ON DELETE CASCADE ON UPDATE RESTRICT},
 * {@code CHECK (`qty` > 0)}.
 *
 * <p>MariaDB has no constraint that is not validated and no comment on a constraint: every one reads as validated,
 * without comment. A unique key is both a constraint and an index, as PostgreSQL's unique constraint is, so it is
 * listed in both places.
 */
final class MariaDbConstraints {
    /** The constraints of each table, and each table's primary key columns in key order. */
    record Keys(Map<String, List<Catalog.Constraint>> constraints, Map<String, List<String>> primaryKeys) {
    }

    private MariaDbConstraints() {
    }

    /**
     * @param columns each table's column names, to tell which columns a CHECK constraint names
     */
    static Keys read(Connection c, String database, Map<String, List<String>> columns, MariaDbDialect.Flavor flavor)
            throws SQLException {
        Map<String, List<Catalog.Constraint>> constraints = keys(c, database);
        Map<String, List<String>> primaryKeys = new LinkedHashMap<>();
        constraints.forEach((table, list) -> list.stream().filter(k -> k.type() == 'p')
                .forEach(k -> primaryKeys.put(table, k.columns())));
        checks(c, database, columns, flavor).forEach((table, list) ->
                constraints.computeIfAbsent(table, t -> new ArrayList<>()).addAll(list));
        // By name within a table, as the PostgreSQL reader lists them.
        constraints.values().forEach(list -> list.sort(Comparator.comparing(Catalog.Constraint::name)));
        return new Keys(constraints, primaryKeys);
    }

    /** Primary, unique and foreign keys of each table, their columns in key order. */
    private static Map<String, List<Catalog.Constraint>> keys(Connection c, String database) throws SQLException {
        record Part(String table, String name, String type, String column, String refSchema, String refTable,
                    String refColumn, String onUpdate, String onDelete) {
        }
        List<Part> parts = new ArrayList<>();
        try (PreparedStatement ps = c.prepareStatement("""
                SELECT tc.TABLE_NAME, tc.CONSTRAINT_NAME, tc.CONSTRAINT_TYPE, k.COLUMN_NAME,
                       k.REFERENCED_TABLE_SCHEMA, k.REFERENCED_TABLE_NAME, k.REFERENCED_COLUMN_NAME,
                       r.UPDATE_RULE, r.DELETE_RULE
                FROM information_schema.TABLE_CONSTRAINTS tc
                JOIN information_schema.KEY_COLUMN_USAGE k
                  ON k.CONSTRAINT_SCHEMA = tc.CONSTRAINT_SCHEMA AND k.TABLE_NAME = tc.TABLE_NAME
                 AND k.CONSTRAINT_NAME = tc.CONSTRAINT_NAME
                LEFT JOIN information_schema.REFERENTIAL_CONSTRAINTS r
                  ON r.CONSTRAINT_SCHEMA = tc.CONSTRAINT_SCHEMA AND r.TABLE_NAME = tc.TABLE_NAME
                 AND r.CONSTRAINT_NAME = tc.CONSTRAINT_NAME
                WHERE tc.CONSTRAINT_SCHEMA = ? AND tc.CONSTRAINT_TYPE IN ('PRIMARY KEY', 'UNIQUE', 'FOREIGN KEY')
                ORDER BY tc.TABLE_NAME, tc.CONSTRAINT_NAME, k.ORDINAL_POSITION""")) {
            ps.setString(1, database);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    parts.add(new Part(rs.getString(1), rs.getString(2), rs.getString(3), rs.getString(4),
                            rs.getString(5), rs.getString(6), rs.getString(7), rs.getString(8), rs.getString(9)));
                }
            }
        }
        Map<String, List<Catalog.Constraint>> result = new LinkedHashMap<>();
        for (int i = 0; i < parts.size(); ) {
            Part first = parts.get(i);
            List<String> cols = new ArrayList<>();
            List<String> refCols = new ArrayList<>();
            for (; i < parts.size() && parts.get(i).table().equals(first.table()) && parts.get(i).name().equals(first.name()); i++) {
                cols.add(parts.get(i).column());
                refCols.add(parts.get(i).refColumn());
            }
            String columns = "(" + String.join(", ", cols.stream().map(MariaDbSqlText::quote).toList()) + ")";
            Catalog.Constraint k = switch (first.type()) {
                case "PRIMARY KEY" -> new Catalog.Constraint(first.name(), 'p', cols, "PRIMARY KEY " + columns, true);
                case "UNIQUE" -> new Catalog.Constraint(first.name(), 'u', cols, "UNIQUE " + columns, true);
                default -> new Catalog.Constraint(first.name(), 'f', cols, "FOREIGN KEY " + columns + " REFERENCES "
                        + quote(first.refSchema()) + "." + quote(first.refTable()) + " ("
                        + String.join(", ", refCols.stream().map(MariaDbSqlText::quote).toList()) + ") ON DELETE "
                        + first.onDelete() + " ON UPDATE " + first.onUpdate(), true,
                        new Catalog.Constraint.Reference(first.refSchema(), first.refTable(), refCols, first.onDelete()),
                        null);
            };
            result.computeIfAbsent(first.table(), t -> new ArrayList<>()).add(k);
        }
        return result;
    }

    private static final java.util.regex.Pattern CHECK = java.util.regex.Pattern.compile("(?s)^CHECK \\((.*)\\)$");

    /**
     * The boolean expression of a CHECK constraint's definition as {@link #read} writes it ({@code CHECK (<clause>)},
     * the clause as information_schema.CHECK_CONSTRAINTS prints it); null for a definition of another kind.
     */
    static String checkExpression(String definition) {
        java.util.regex.Matcher m = CHECK.matcher(definition.trim());
        return m.matches() ? m.group(1) : null;
    }

    /**
     * CHECK constraints, table-level and column-level alike (a column-level one is named after its column), with
     * the columns their expression names.
     */
    private static Map<String, List<Catalog.Constraint>> checks(Connection c, String database, Map<String, List<String>> columns,
                                                                MariaDbDialect.Flavor flavor) throws SQLException {
        Map<String, List<Catalog.Constraint>> result = new LinkedHashMap<>();
        try (PreparedStatement ps = c.prepareStatement("SELECT TABLE_NAME, CONSTRAINT_NAME, CHECK_CLAUSE FROM "
                + flavor.checkConstraints() + " WHERE CONSTRAINT_SCHEMA = ? ORDER BY TABLE_NAME, CONSTRAINT_NAME")) {
            ps.setString(1, database);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    String clause = rs.getString(3);
                    List<String> tableColumns = columns.getOrDefault(rs.getString(1), List.of());
                    List<String> named = MariaDbSqlText.quotedIn(clause).stream()
                            .filter(tableColumns::contains).distinct().toList();
                    result.computeIfAbsent(rs.getString(1), t -> new ArrayList<>()).add(new Catalog.Constraint(
                            rs.getString(2), 'c', named, "CHECK (" + clause + ")", true));
                }
            }
        }
        return result;
    }
}
