package dev.tandem.catalog;

import java.util.Map;

/**
 * The names a version's views give the physical tables and columns they expose, where those differ: what the previous
 * version calls things, when the database keeps physical names and lets the views alias them (MariaDB, MySQL: see
 * {@link dev.tandem.dialect.Ddl#contractRenames}). Where contract renames tables and columns into place (PostgreSQL),
 * every name is its physical one and this is {@link #NONE}.
 *
 * @param tables physical table name → the version's name for it and its columns (physical column → the version's name)
 */
public record VersionNames(Map<String, Table> tables) {
    public static final VersionNames NONE = new VersionNames(Map.of());

    /** A table as the version sees it: its name, and its columns' names where they differ from the physical ones. */
    public record Table(String name, Map<String, String> columns) {
        public Table {
            columns = Map.copyOf(columns);
        }
    }

    public VersionNames {
        tables = Map.copyOf(tables);
    }

    /** What the version calls the physical table {@code physical}. */
    public String table(String physical) {
        Table t = tables.get(physical);
        return t == null ? physical : t.name();
    }

    /** What the version calls the physical column {@code column} of the physical table {@code table}. */
    public String column(String table, String column) {
        Table t = tables.get(table);
        return t == null ? column : t.columns().getOrDefault(column, column);
    }
}
