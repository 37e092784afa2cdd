package dev.tandem.dialect.postgres;

import dev.tandem.catalog.Catalog;

import java.sql.Array;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * What logical replication publishes of a schema's tables: per table its replica identity and the publications that
 * publish it (by name, by schema or as all tables), with their column lists and row filters (PostgreSQL 15+; before,
 * neither exists, nor do publications of a schema).
 */
final class PostgresPublications {
    private PostgresPublications() {
    }

    private static final String SCOPE = "CASE WHEN p.puballtables THEN 'FOR ALL TABLES' WHEN pr.oid IS NOT NULL THEN 'FOR TABLE'"
            + " ELSE 'FOR TABLES IN SCHEMA' END";

    static Map<String, Catalog.Replication> read(Connection c, String schema, int serverVersion) throws SQLException {
        boolean pg15 = serverVersion >= 150000;
        Map<String, List<Catalog.Publication>> publications = new HashMap<>();
        String inSchema = pg15 ? " OR EXISTS (SELECT 1 FROM pg_publication_namespace pn WHERE pn.pnpubid = p.oid AND pn.pnnspid = n.oid)" : "";
        String columnList = pg15 ? "CASE WHEN pr.prattrs IS NOT NULL THEN ARRAY(SELECT a.attname FROM unnest(pr.prattrs::int2[]) WITH"
                + " ORDINALITY k(attnum, o) JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = k.attnum ORDER BY k.o)::text[] END"
                : "NULL::text[]";
        String rowFilter = pg15 ? "pg_get_expr(pr.prqual, pr.prrelid)" : "NULL::text";
        // The columns a column list or row filter names are the columns its pg_publication_rel row depends on.
        try (PreparedStatement ps = c.prepareStatement("SELECT t.relname, p.pubname, " + SCOPE + ", " + columnList + ", " + rowFilter + ","
                + " ARRAY(SELECT a.attname FROM pg_depend d JOIN pg_attribute a ON a.attrelid = d.refobjid AND a.attnum = d.refobjsubid"
                + "       WHERE d.classid = 'pg_publication_rel'::regclass AND d.objid = pr.oid AND d.refobjsubid > 0 ORDER BY a.attnum)::text[]"
                + " FROM pg_class t JOIN pg_namespace n ON n.oid = t.relnamespace"
                + " CROSS JOIN pg_publication p"
                + " LEFT JOIN pg_publication_rel pr ON pr.prpubid = p.oid AND pr.prrelid = t.oid"
                + " WHERE n.nspname = ? AND t.relkind IN ('r', 'p') AND NOT t.relispartition"
                + " AND (p.puballtables OR pr.oid IS NOT NULL" + inSchema + ")"
                + " ORDER BY t.relname, p.pubname")) {
            ps.setString(1, schema);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    publications.computeIfAbsent(rs.getString(1), k -> new ArrayList<>()).add(new Catalog.Publication(
                            rs.getString(2), rs.getString(3), strings(rs.getArray(4)), rs.getString(5), strings(rs.getArray(6))));
                }
            }
        }
        Map<String, Catalog.Replication> result = new HashMap<>();
        try (PreparedStatement ps = c.prepareStatement("""
                SELECT t.relname, t.relreplident,
                       (SELECT i.relname FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid
                        WHERE x.indrelid = t.oid AND x.indisreplident)
                FROM pg_class t JOIN pg_namespace n ON n.oid = t.relnamespace
                WHERE n.nspname = ? AND t.relkind IN ('r', 'p') AND NOT t.relispartition""")) {
            ps.setString(1, schema);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    result.put(rs.getString(1), new Catalog.Replication(rs.getString(2).charAt(0), rs.getString(3),
                            publications.getOrDefault(rs.getString(1), List.of())));
                }
            }
        }
        return result;
    }

    /** The publications that publish every table of {@code schema}, those created later included. */
    static List<Catalog.Publication> ofEveryTable(Connection c, String schema, int serverVersion) throws SQLException {
        String inSchema = serverVersion >= 150000 ? " OR EXISTS (SELECT 1 FROM pg_publication_namespace pn"
                + " JOIN pg_namespace n ON n.oid = pn.pnnspid WHERE pn.pnpubid = p.oid AND n.nspname = ?)" : "";
        List<Catalog.Publication> result = new ArrayList<>();
        try (PreparedStatement ps = c.prepareStatement("SELECT p.pubname, CASE WHEN p.puballtables THEN 'FOR ALL TABLES'"
                + " ELSE 'FOR TABLES IN SCHEMA' END FROM pg_publication p WHERE p.puballtables" + inSchema + " ORDER BY 1")) {
            if (!inSchema.isEmpty()) ps.setString(1, schema);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) result.add(new Catalog.Publication(rs.getString(1), rs.getString(2), null, null, List.of()));
            }
        }
        return result;
    }

    private static List<String> strings(Array array) throws SQLException {
        return array == null ? null : Arrays.asList((String[]) array.getArray());
    }
}
