package dev.tandem.dialect.postgres;

import dev.tandem.catalog.Catalog;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Reads each index's keys as {@code CREATE INDEX} takes them back: column or expression, collation, operator class
 * and its parameters, order and nulls ({@code pg_index}, "System Catalogs" in the PostgreSQL manual), and its
 * INCLUDE columns. What equals the default is left out (a collation the column has anyway, the default operator
 * class of the key's type), so the index built again on a column of another type gets that type's defaults.
 */
final class PostgresIndexShapes {
    private PostgresIndexShapes() {
    }

    /** The key columns and expressions of one index, and its INCLUDE columns. */
    record Keys(List<Catalog.IndexKey> keys, List<String> include) {
        static final Keys NONE = new Keys(List.of(), List.of());
    }

    // indkey, indcollation, indclass and indoption are vectors subscripted from 0; indcollation, indclass and
    // indoption hold the key columns only, indkey the INCLUDE columns too. indoption bit 1 is DESC, bit 2 NULLS FIRST.
    // Collation 100 is the database's default.
    private static final String KEYS = """
            SELECT i.relname, k.n <= x.indnkeyatts, a.attname, pg_get_indexdef(x.indexrelid, k.n, true),
                   CASE WHEN x.indcollation[k.n - 1] NOT IN (0, 100, coalesce(a.attcollation, 0)) THEN cn.nspname END,
                   CASE WHEN x.indcollation[k.n - 1] NOT IN (0, 100, coalesce(a.attcollation, 0)) THEN co.collname END,
                   CASE WHEN NOT oc.opcdefault THEN ocn.nspname END, CASE WHEN NOT oc.opcdefault THEN oc.opcname END,
                   ia.attoptions::text[],
                   coalesce(x.indoption[k.n - 1] & 1, 0) <> 0, coalesce(x.indoption[k.n - 1] & 2, 0) <> 0
            FROM pg_index x
            JOIN pg_class i ON i.oid = x.indexrelid
            JOIN pg_class t ON t.oid = x.indrelid
            JOIN pg_namespace n ON n.oid = t.relnamespace
            CROSS JOIN LATERAL generate_series(1, x.indnatts) AS k(n)
            LEFT JOIN pg_attribute a ON a.attrelid = x.indrelid AND a.attnum = x.indkey[k.n - 1] AND x.indkey[k.n - 1] <> 0
            LEFT JOIN pg_attribute ia ON ia.attrelid = x.indexrelid AND ia.attnum = k.n
            LEFT JOIN pg_collation co ON co.oid = x.indcollation[k.n - 1]
            LEFT JOIN pg_namespace cn ON cn.oid = co.collnamespace
            LEFT JOIN pg_opclass oc ON oc.oid = x.indclass[k.n - 1]
            LEFT JOIN pg_namespace ocn ON ocn.oid = oc.opcnamespace
            WHERE n.nspname = ? AND NOT t.relispartition
            ORDER BY i.relname, k.n""";

    /** Every index's keys in {@code schema}, by index name. */
    static Map<String, Keys> keys(Connection c, String schema) throws SQLException {
        Map<String, Keys> result = new LinkedHashMap<>();
        try (PreparedStatement ps = c.prepareStatement(KEYS)) {
            ps.setString(1, schema);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    Keys keys = result.computeIfAbsent(rs.getString(1), k -> new Keys(new ArrayList<>(), new ArrayList<>()));
                    String column = rs.getString(3);
                    if (!rs.getBoolean(2)) {
                        keys.include().add(column);
                        continue;
                    }
                    keys.keys().add(new Catalog.IndexKey(column, column == null ? rs.getString(4) : null,
                            name(rs.getString(5), rs.getString(6)), name(rs.getString(7), rs.getString(8)),
                            PostgresDialect.strings(rs.getArray(9)), rs.getBoolean(10), rs.getBoolean(11)));
                }
            }
        }
        result.replaceAll((name, k) -> new Keys(List.copyOf(k.keys()), List.copyOf(k.include())));
        return result;
    }

    private static Catalog.QualifiedName name(String schema, String name) {
        return name == null ? null : new Catalog.QualifiedName(schema, name);
    }
}
