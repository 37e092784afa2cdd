package dev.tandem.dialect.postgres;

import dev.tandem.catalog.Catalog;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Table inheritance of the tables of a schema, from {@code pg_inherits}. Declarative partitions are left out: they are
 * migrated through their partitioned table, and the catalog does not list them as tables.
 */
final class PostgresInheritance {
    private PostgresInheritance() {
    }

    /** Per table of {@code schema} with a parent or a descendant: its direct parents and all its descendants. */
    static Map<String, Catalog.Inheritance> read(Connection c, String schema) throws SQLException {
        Map<String, List<Catalog.Relation>> parents = new HashMap<>();
        Map<String, List<Catalog.Relation>> descendants = new HashMap<>();
        try (PreparedStatement ps = c.prepareStatement("""
                SELECT t.relname, pn.nspname, p.relname
                FROM pg_inherits i
                JOIN pg_class t ON t.oid = i.inhrelid JOIN pg_namespace n ON n.oid = t.relnamespace
                JOIN pg_class p ON p.oid = i.inhparent JOIN pg_namespace pn ON pn.oid = p.relnamespace
                WHERE n.nspname = ? AND NOT t.relispartition
                ORDER BY t.relname, i.inhseqno""")) {
            ps.setString(1, schema);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    parents.computeIfAbsent(rs.getString(1), k -> new ArrayList<>())
                            .add(new Catalog.Relation(rs.getString(2), rs.getString(3)));
                }
            }
        }
        // Grandchildren too: a column added to the parent reaches them, and its trigger misses their rows as well.
        try (PreparedStatement ps = c.prepareStatement("""
                WITH RECURSIVE tree(root, rel) AS (
                    SELECT i.inhparent, i.inhrelid FROM pg_inherits i JOIN pg_class k ON k.oid = i.inhrelid
                    WHERE NOT k.relispartition
                  UNION
                    SELECT tree.root, i.inhrelid FROM tree JOIN pg_inherits i ON i.inhparent = tree.rel
                    JOIN pg_class k ON k.oid = i.inhrelid WHERE NOT k.relispartition)
                SELECT r.relname, dn.nspname, d.relname
                FROM tree
                JOIN pg_class r ON r.oid = tree.root JOIN pg_namespace n ON n.oid = r.relnamespace
                JOIN pg_class d ON d.oid = tree.rel JOIN pg_namespace dn ON dn.oid = d.relnamespace
                WHERE n.nspname = ?
                ORDER BY 1, 2, 3""")) {
            ps.setString(1, schema);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    descendants.computeIfAbsent(rs.getString(1), k -> new ArrayList<>())
                            .add(new Catalog.Relation(rs.getString(2), rs.getString(3)));
                }
            }
        }
        Map<String, Catalog.Inheritance> result = new HashMap<>();
        for (String t : parents.keySet()) result.put(t, new Catalog.Inheritance(parents.get(t), descendants.getOrDefault(t, List.of())));
        for (String t : descendants.keySet()) result.putIfAbsent(t, new Catalog.Inheritance(List.of(), descendants.get(t)));
        return result;
    }
}
