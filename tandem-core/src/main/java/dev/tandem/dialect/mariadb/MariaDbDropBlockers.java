package dev.tandem.dialect.mariadb;

import dev.tandem.engine.Plan;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The user's objects that would stop contract from dropping a table, a column, an index or a constraint on MariaDB, or
 * that the drop would silently break. MariaDB refuses some drops outright and lets others through, leaving what used
 * the dropped object to fail later; both kinds are in the way, as PostgreSQL's refusal without CASCADE is.
 *
 * <p>Measured on MariaDB 11.4 ({@code MariaDbDropBlockersTest}): dropping a column that a view reads succeeds, and the
 * view fails every query (1356); that a trigger names succeeds, and every write the trigger fires on fails (1054), on
 * other tables too; a column that a generated column reads, or that a CHECK names together with other columns, is
 * refused (1054); a column of a foreign key, on either side, is refused (1553), as is a table another table's foreign
 * key references (1451); a column of a unique key over several columns is refused (1072). A CHECK over the column
 * alone goes with it, as does an index over it alone. Views are found in their definitions as the server prints
 * them, every name qualified; triggers, procedures, functions and events by reading their text
 * ({@link MariaDbStoredTexts}), so they are named "by its text".
 *
 * <p>For a column a shadow column replaces ({@code replaced}), its own indexes, CHECKs and foreign keys are Tandem's to
 * carry and are not counted, as on PostgreSQL.
 */
final class MariaDbDropBlockers {
    private MariaDbDropBlockers() {
    }

    /**
     * @param ownSchemas databases whose objects are Tandem's (the version databases, which contract replaces first)
     * @return each blocker as MariaDB names it ({@code view db.v}, {@code constraint fk on table db.c}), in order of kind
     */
    static List<String> of(Connection c, String database, Plan.Dropped dropped, Collection<String> ownSchemas)
            throws SQLException {
        return of(c, database, dropped, ownSchemas, MariaDbDialect.Flavor.MARIADB);
    }

    /** As {@link #of(Connection, String, Plan.Dropped, Collection)}, reading information_schema as {@code flavor} has it. */
    static List<String> of(Connection c, String database, Plan.Dropped dropped, Collection<String> ownSchemas,
                           MariaDbDialect.Flavor flavor) throws SQLException {
        Set<String> found = new LinkedHashSet<>();
        String table = dropped.table();
        switch (dropped.kind()) {
            case "table" -> {
                texts(c, database, table, null, ownSchemas, found);
                referencingForeignKeys(c, database, table, null, found);
            }
            case "column", "replaced" -> {
                String column = dropped.name();
                boolean carried = dropped.kind().equals("replaced");
                texts(c, database, table, column, ownSchemas, found);
                referencingForeignKeys(c, database, table, column, found);
                generatedColumns(c, database, table, column, found);
                if (!carried) {
                    ownForeignKeys(c, database, table, column, found);
                    sharedChecks(c, database, table, column, found, flavor);
                    sharedUniqueKeys(c, database, table, column, found);
                }
            }
            case "index", "constraint" -> foreignKeysNeeding(c, database, table, dropped.name(), found);
            default -> {
            }
        }
        return List.copyOf(found);
    }

    /**
     * Views that read the table (the column), and triggers, routines and events whose text names it. A trigger on the
     * table itself goes with a dropped table; for a column, one that names it anywhere counts.
     */
    private static void texts(Connection c, String database, String table, String column, Collection<String> ownSchemas,
                              Set<String> found) throws SQLException {
        for (MariaDbStoredTexts.StoredText t : MariaDbStoredTexts.containing(c, table)) {
            if (ownSchemas.contains(t.schema())) continue;
            List<MariaDbNamePaths.Path> names = t.names();
            if (t.kind().equals("view")) {
                if (readsTable(names, database, table) && (column == null || readsColumn(t.text(), names, database, table, column))) {
                    found.add(t.describe());
                }
                continue;
            }
            boolean onTheTable = t.kind().equals("trigger") && t.schema().equals(database) && t.table().equals(table);
            if (onTheTable ? column != null && namesColumn(names, column)
                    : namesTable(names, t.schema(), database, table) && (column == null || namesColumn(names, column))) {
                found.add(t.describe() + " (by its text)");
            }
        }
    }

    /** A view's definition reads {@code db.table}: MariaDB prints every table it reads as {@code `db`.`t`}. */
    static boolean readsTable(List<MariaDbNamePaths.Path> names, String database, String table) {
        return names.stream().anyMatch(p -> p.parts().size() >= 2 && p.parts().get(0).equals(database)
                && p.parts().get(1).equals(table));
    }

    /**
     * A view's definition reads the column: as {@code `db`.`t`.`col`}, or qualified by an alias the definition gives
     * the table ({@code from `db`.`t` `x`} ... {@code `x`.`col`}) or by the table's name alone.
     */
    static boolean readsColumn(String definition, List<MariaDbNamePaths.Path> names, String database, String table,
                               String column) {
        Set<String> qualifiers = new HashSet<>(Set.of(table));
        for (int i = 0; i + 1 < names.size(); i++) {
            MariaDbNamePaths.Path p = names.get(i), next = names.get(i + 1);
            if (p.is(database, table) && next.parts().size() == 1 && next.quoted()
                    && definition.substring(p.end(), next.start()).isBlank()) {
                qualifiers.add(next.last());
            }
        }
        for (MariaDbNamePaths.Path p : names) {
            List<String> parts = p.parts();
            if (!p.last().equalsIgnoreCase(column)) continue;
            if (parts.size() == 3 && parts.get(0).equals(database) && parts.get(1).equals(table)) return true;
            if (parts.size() == 2 && qualifiers.contains(parts.get(0))) return true;
        }
        return false;
    }

    /**
     * The text names the table: qualified by its database, or alone where the object lives in that database (also
     * before a parenthesis: {@code INSERT INTO t (a)}).
     */
    private static boolean namesTable(List<MariaDbNamePaths.Path> names, String objectSchema, String database, String table) {
        return names.stream().anyMatch(p -> {
            List<String> parts = p.parts();
            return parts.size() >= 2 && parts.get(0).equals(database) && parts.get(1).equals(table)
                    || objectSchema.equals(database) && parts.size() <= 2 && parts.get(0).equals(table);
        });
    }

    /** The text names the column, however qualified ({@code NEW.col}, {@code t.col}, {@code col}); not a call. */
    private static boolean namesColumn(List<MariaDbNamePaths.Path> names, String column) {
        return names.stream().anyMatch(p -> !p.call() && p.last().equalsIgnoreCase(column));
    }

    /** Foreign keys of other tables referencing the table, or of any table referencing the column (1451, 1553). */
    private static void referencingForeignKeys(Connection c, String database, String table, String column,
                                               Set<String> found) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("""
                SELECT DISTINCT TABLE_SCHEMA, TABLE_NAME, CONSTRAINT_NAME, REFERENCED_COLUMN_NAME
                FROM information_schema.KEY_COLUMN_USAGE
                WHERE REFERENCED_TABLE_SCHEMA = ? AND REFERENCED_TABLE_NAME = ?
                ORDER BY TABLE_SCHEMA, TABLE_NAME, CONSTRAINT_NAME""")) {
            ps.setString(1, database);
            ps.setString(2, table);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    boolean self = rs.getString(1).equals(database) && rs.getString(2).equals(table);
                    if (column == null ? !self : column.equalsIgnoreCase(rs.getString(4))) {
                        found.add(foreignKey(rs.getString(3), rs.getString(1), rs.getString(2)));
                    }
                }
            }
        }
    }

    /** The table's own foreign keys over the column: MariaDB refuses to drop a column its foreign key uses (1553). */
    private static void ownForeignKeys(Connection c, String database, String table, String column, Set<String> found)
            throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("""
                SELECT DISTINCT CONSTRAINT_NAME FROM information_schema.KEY_COLUMN_USAGE
                WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ? AND COLUMN_NAME = ? AND REFERENCED_TABLE_NAME IS NOT NULL
                ORDER BY CONSTRAINT_NAME""")) {
            ps.setString(1, database);
            ps.setString(2, table);
            ps.setString(3, column);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) found.add(foreignKey(rs.getString(1), database, table));
            }
        }
    }

    private static String foreignKey(String name, String schema, String table) {
        return "constraint " + name + " on table " + schema + "." + table;
    }

    /** Generated columns of the table whose expression reads the column (MariaDB refuses the drop, 1054). */
    private static void generatedColumns(Connection c, String database, String table, String column, Set<String> found)
            throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("""
                SELECT COLUMN_NAME, GENERATION_EXPRESSION FROM information_schema.COLUMNS
                WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ? AND GENERATION_EXPRESSION <> ''
                ORDER BY ORDINAL_POSITION""")) {
            ps.setString(1, database);
            ps.setString(2, table);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    if (!rs.getString(1).equalsIgnoreCase(column) && mentions(rs.getString(2), column)) {
                        found.add("generated column " + rs.getString(1) + " of " + database + "." + table);
                    }
                }
            }
        }
    }

    /**
     * CHECK constraints that name the column and another: MariaDB drops a check with the only column it names, and
     * refuses to drop a column a check shares with others (1054).
     */
    private static void sharedChecks(Connection c, String database, String table, String column, Set<String> found,
                                     MariaDbDialect.Flavor flavor) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("SELECT CONSTRAINT_NAME, CHECK_CLAUSE FROM " + flavor.checkConstraints()
                + " WHERE CONSTRAINT_SCHEMA = ? AND TABLE_NAME = ? ORDER BY CONSTRAINT_NAME")) {
            ps.setString(1, database);
            ps.setString(2, table);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    List<String> named = MariaDbSqlText.quotedIn(rs.getString(2));
                    if (mentions(rs.getString(2), column) && named.stream().anyMatch(n -> !n.equalsIgnoreCase(column))) {
                        found.add("CHECK constraint " + rs.getString(1) + " on table " + database + "." + table);
                    }
                }
            }
        }
    }

    /** Unique keys over the column and others: MariaDB refuses to drop one of their columns (1072). */
    private static void sharedUniqueKeys(Connection c, String database, String table, String column, Set<String> found)
            throws SQLException {
        indexColumns(c, database, table, true).forEach((index, columns) -> {
            if (columns.size() > 1 && columns.stream().anyMatch(column::equalsIgnoreCase)) {
                found.add((index.equals("PRIMARY") ? "primary key" : "unique index " + index) + " on table "
                        + database + "." + table);
            }
        });
    }

    /**
     * Foreign keys that need the dropped index (or unique key): InnoDB keeps an index whose first columns are a foreign
     * key's, on its table and on the referenced one, and refuses to drop the last such index (1553).
     */
    private static void foreignKeysNeeding(Connection c, String database, String table, String index, Set<String> found)
            throws SQLException {
        Map<String, List<String>> indexes = indexColumns(c, database, table, false);
        List<String> dropped = indexes.remove(index);
        if (dropped == null) return;
        try (PreparedStatement ps = c.prepareStatement("""
                SELECT TABLE_SCHEMA, TABLE_NAME, CONSTRAINT_NAME,
                       CASE WHEN TABLE_SCHEMA = ? AND TABLE_NAME = ? THEN COLUMN_NAME END, REFERENCED_COLUMN_NAME,
                       REFERENCED_TABLE_SCHEMA = ? AND REFERENCED_TABLE_NAME = ?
                FROM information_schema.KEY_COLUMN_USAGE
                WHERE REFERENCED_TABLE_NAME IS NOT NULL
                  AND (TABLE_SCHEMA = ? AND TABLE_NAME = ? OR REFERENCED_TABLE_SCHEMA = ? AND REFERENCED_TABLE_NAME = ?)
                ORDER BY TABLE_SCHEMA, TABLE_NAME, CONSTRAINT_NAME, ORDINAL_POSITION""")) {
            for (int i = 1; i <= 8; i += 2) {
                ps.setString(i, database);
                ps.setString(i + 1, table);
            }
            // Per foreign key: its columns on this table, and the columns it references here.
            Map<String, List<String>> own = new LinkedHashMap<>(), referenced = new LinkedHashMap<>();
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    String key = foreignKey(rs.getString(3), rs.getString(1), rs.getString(2));
                    if (rs.getString(4) != null) own.computeIfAbsent(key, k -> new ArrayList<>()).add(rs.getString(4));
                    if (rs.getBoolean(6)) referenced.computeIfAbsent(key, k -> new ArrayList<>()).add(rs.getString(5));
                }
            }
            for (Map<String, List<String>> keys : List.of(own, referenced)) {
                keys.forEach((key, columns) -> {
                    if (leads(dropped, columns) && indexes.values().stream().noneMatch(other -> leads(other, columns))) {
                        found.add(key);
                    }
                });
            }
        }
    }

    /** Whether an index over {@code index} starts with {@code columns}, in order. */
    private static boolean leads(List<String> index, List<String> columns) {
        if (columns.size() > index.size()) return false;
        for (int i = 0; i < columns.size(); i++) if (!index.get(i).equalsIgnoreCase(columns.get(i))) return false;
        return true;
    }

    /** The table's indexes (only unique ones, with {@code uniqueOnly}), each with its columns in key order. */
    private static Map<String, List<String>> indexColumns(Connection c, String database, String table, boolean uniqueOnly)
            throws SQLException {
        Map<String, List<String>> indexes = new LinkedHashMap<>();
        try (PreparedStatement ps = c.prepareStatement("SELECT INDEX_NAME, COLUMN_NAME FROM information_schema.STATISTICS"
                + " WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ?" + (uniqueOnly ? " AND NON_UNIQUE = 0" : "")
                + " ORDER BY INDEX_NAME, SEQ_IN_INDEX")) {
            ps.setString(1, database);
            ps.setString(2, table);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) indexes.computeIfAbsent(rs.getString(1), i -> new ArrayList<>()).add(rs.getString(2));
            }
        }
        return indexes;
    }

    /** An expression as MariaDB prints it (every column quoted) names the column. */
    private static boolean mentions(String printed, String column) {
        return MariaDbSqlText.quotedIn(printed).stream().anyMatch(column::equalsIgnoreCase);
    }
}
