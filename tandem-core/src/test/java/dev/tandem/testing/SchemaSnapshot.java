package dev.tandem.testing;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * Everything a migration must carry, read from the catalog of some schemas, one entry per object: the key names the
 * object ("accounts: index accounts_email_c"), the value is its definition as PostgreSQL prints it
 * ({@code pg_get_indexdef}, {@code pg_get_constraintdef}, {@code pg_get_triggerdef}, a policy's expressions), with
 * its comment, ACL, options and ownership. Schema and role names are replaced by placeholders ({@code ${app}}), so
 * that two copies of a fixture compare equal, and a difference names the object that was lost or changed.
 * <p>
 * Richer than {@link CatalogSnapshot}, which compares what Tandem's own catalog reader sees; this one reads what the
 * reader does not (comments, statistics targets, collations, column ACLs, policies, triggers, sequence ownership).
 */
public final class SchemaSnapshot {
    private final Map<String, String> placeholders;

    /** @param placeholders a schema or role name → the placeholder it is shown as, e.g. {@code "app_12" → "${app}"} */
    public SchemaSnapshot(Map<String, String> placeholders) {
        this.placeholders = new LinkedHashMap<>(placeholders);
    }

    /** The objects of the tables and sequences of {@code schemas}, by name. */
    public TreeMap<String, String> of(String... schemas) {
        TreeMap<String, String> objects = new TreeMap<>();
        try (Connection c = Pg.dataSource().getConnection()) {
            for (String schema : schemas) {
                read(c, schema, TABLES, objects);
                read(c, schema, COLUMNS, objects);
                read(c, schema, INDEXES, objects);
                read(c, schema, CONSTRAINTS, objects);
                read(c, schema, TRIGGERS, objects);
                read(c, schema, POLICIES, objects);
                read(c, schema, SEQUENCES, objects);
            }
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
        return objects;
    }

    /** The keys of {@code snapshot} that name an object of {@code table} (its columns, indexes, constraints, …). */
    public static Set<String> keysOf(Map<String, String> snapshot, String table) {
        Set<String> keys = new TreeSet<>();
        for (String k : snapshot.keySet()) if (k.startsWith(table + ":")) keys.add(k);
        return keys;
    }

    private void read(Connection c, String schema, String sql, Map<String, String> into) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(sql)) {
            ps.setString(1, schema);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    String key = normalise(rs.getString(1));
                    String value = normalise(rs.getString(2));
                    if (into.put(key, value) != null) throw new IllegalStateException("two objects named " + key);
                }
            }
        }
    }

    private String normalise(String text) {
        if (text == null) return null;
        String s = text;
        for (Map.Entry<String, String> p : placeholders.entrySet()) {
            s = s.replace("\"" + p.getKey() + "\"", p.getValue()).replace(p.getKey(), p.getValue());
        }
        return s;
    }

    // Every query takes the schema as its one parameter and returns (object, definition). ACLs are sorted so that
    // the order of grants does not matter; the grantor stays (it says who granted it).

    private static final String ACL = "coalesce((SELECT string_agg(a::text, ' ' ORDER BY a::text) FROM unnest(%s) a), 'default')";

    private static final String TABLES = """
            SELECT c.relname || ': table',
                   'kind ' || c.relkind::text || ', owner ' || pg_get_userbyid(c.relowner)
                   || ', acl ' || %s
                   || ', options ' || coalesce(array_to_string(c.reloptions, ','), 'none')
                   || ', row security ' || c.relrowsecurity || ' forced ' || c.relforcerowsecurity
                   || ', replica identity ' || c.relreplident::text
                   || ', comment ' || coalesce(obj_description(c.oid, 'pg_class'), 'none')
            FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
            WHERE n.nspname = ? AND c.relkind IN ('r', 'p')
            """.formatted(ACL.formatted("c.relacl"));

    private static final String COLUMNS = """
            SELECT c.relname || ': column ' || a.attname,
                   format_type(a.atttypid, a.atttypmod)
                   || CASE WHEN a.attnotnull THEN ' not null' ELSE '' END
                   || coalesce(' default ' || pg_get_expr(d.adbin, d.adrelid), '')
                   || CASE a.attidentity WHEN 'a' THEN ' generated always as identity'
                                         WHEN 'd' THEN ' generated by default as identity' ELSE '' END
                   || CASE WHEN a.attgenerated <> '' THEN ' generated stored' ELSE '' END
                   || ', collation ' || coalesce((SELECT quote_ident(collname) FROM pg_collation WHERE oid = a.attcollation), 'none')
                   || ', statistics ' || CASE WHEN a.attstattarget IS NULL OR a.attstattarget < 0 THEN 'default'
                                              ELSE a.attstattarget::text END
                   || ', storage ' || a.attstorage::text
                   || ', acl ' || %s
                   || ', comment ' || coalesce(col_description(c.oid, a.attnum), 'none')
            FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
            JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
            LEFT JOIN pg_attrdef d ON d.adrelid = c.oid AND d.adnum = a.attnum
            WHERE n.nspname = ? AND c.relkind IN ('r', 'p')
            """.formatted(ACL.formatted("a.attacl"));

    private static final String INDEXES = """
            SELECT t.relname || ': index ' || i.relname,
                   pg_get_indexdef(x.indexrelid)
                   || CASE WHEN x.indisvalid THEN '' ELSE ' INVALID' END
                   || CASE WHEN x.indisclustered THEN ' CLUSTERED' ELSE '' END
                   || ', comment ' || coalesce(obj_description(i.oid, 'pg_class'), 'none')
            FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid JOIN pg_class t ON t.oid = x.indrelid
            JOIN pg_namespace n ON n.oid = t.relnamespace
            WHERE n.nspname = ?
            """;

    private static final String CONSTRAINTS = """
            SELECT t.relname || ': constraint ' || k.conname,
                   k.contype::text || ' ' || pg_get_constraintdef(k.oid)
                   || CASE WHEN k.convalidated THEN '' ELSE ' NOT VALID' END
                   || ', comment ' || coalesce(obj_description(k.oid, 'pg_constraint'), 'none')
            FROM pg_constraint k JOIN pg_class t ON t.oid = k.conrelid JOIN pg_namespace n ON n.oid = t.relnamespace
            WHERE n.nspname = ?
            """;

    private static final String TRIGGERS = """
            SELECT t.relname || ': trigger ' || g.tgname,
                   pg_get_triggerdef(g.oid) || ', enabled ' || g.tgenabled::text
                   || ', comment ' || coalesce(obj_description(g.oid, 'pg_trigger'), 'none')
            FROM pg_trigger g JOIN pg_class t ON t.oid = g.tgrelid JOIN pg_namespace n ON n.oid = t.relnamespace
            WHERE n.nspname = ? AND NOT g.tgisinternal
            """;

    private static final String POLICIES = """
            SELECT tablename || ': policy ' || policyname,
                   permissive || ' for ' || cmd || ' to ' || array_to_string(roles, ',')
                   || ' using ' || coalesce(qual, 'none') || ' with check ' || coalesce(with_check, 'none')
            FROM pg_policies WHERE schemaname = ?
            """;

    private static final String SEQUENCES = """
            SELECT s.relname || ': sequence',
                   format_type(q.seqtypid, NULL) || ' start ' || q.seqstart || ' increment ' || q.seqincrement
                   || ' min ' || q.seqmin || ' max ' || q.seqmax || CASE WHEN q.seqcycle THEN ' cycle' ELSE '' END
                   || ', owner ' || pg_get_userbyid(s.relowner) || ', acl ' || %s
                   || ', owned by ' || coalesce((SELECT t.relname || '.' || a.attname
                                                        || CASE d.deptype WHEN 'i' THEN ' (identity)' ELSE ' (serial)' END
                                                 FROM pg_depend d JOIN pg_class t ON t.oid = d.refobjid
                                                 JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = d.refobjsubid
                                                 WHERE d.classid = 'pg_class'::regclass AND d.objid = s.oid
                                                   AND d.refclassid = 'pg_class'::regclass AND d.deptype IN ('a', 'i')),
                                                'nothing')
            FROM pg_class s JOIN pg_namespace n ON n.oid = s.relnamespace JOIN pg_sequence q ON q.seqrelid = s.oid
            WHERE n.nspname = ? AND s.relkind = 'S'
            """.formatted(ACL.formatted("s.relacl"));
}
