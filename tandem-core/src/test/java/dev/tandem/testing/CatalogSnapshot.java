package dev.tandem.testing;

import dev.tandem.catalog.Catalog;
import dev.tandem.dialect.postgres.PostgresDialect;

import java.sql.Connection;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * A schema's catalog in a form two schemas can be compared by: tables, columns (by name, with type, NOT NULL,
 * default, identity), constraints and indexes, with the schema's own name taken out of definitions.
 */
public final class CatalogSnapshot {
    private CatalogSnapshot() {
    }

    public static TreeMap<String, Object> of(String schema) {
        try (Connection c = Pg.dataSource().getConnection()) {
            Catalog catalog = new PostgresDialect().readCatalog(c, schema);
            TreeMap<String, Object> tables = new TreeMap<>();
            for (Catalog.Table t : catalog.tables().values()) {
                TreeMap<String, Object> table = new TreeMap<>();
                TreeSet<String> columns = new TreeSet<>();
                for (Catalog.Column col : t.columns()) {
                    String def = col.defaultExpr() == null ? "" : " default " + col.defaultExpr().replace(schema + ".", "")
                            .replace("\"" + schema + "\".", "");
                    columns.add(col.name() + " " + col.type() + (col.notNull() ? " not null" : "") + def
                            + (col.isIdentity() ? " identity " + col.identity() : ""));
                }
                table.put("columns", columns);
                table.put("primary key", t.primaryKey());
                List<String> constraints = new ArrayList<>();
                for (Catalog.Constraint k : t.constraints()) {
                    constraints.add(k.name() + " " + k.type() + " " + k.definition().replace("\"" + schema + "\".", "")
                            .replace(schema + ".", "") + (k.validated() ? "" : " NOT VALID"));
                }
                table.put("constraints", new TreeSet<>(constraints));
                List<String> indexes = new ArrayList<>();
                for (Catalog.Index i : t.indexes()) {
                    indexes.add(i.definition().replace("\"" + schema + "\".", "").replace(schema + ".", "")
                            + (i.valid() ? "" : " INVALID"));
                }
                table.put("indexes", new TreeSet<>(indexes));
                tables.put(t.name(), table);
            }
            return tables;
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
    }
}
