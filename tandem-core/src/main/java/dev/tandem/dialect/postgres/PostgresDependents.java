package dev.tandem.dialect.postgres;

import dev.tandem.engine.Plan;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;

/**
 * Finds the objects that would make a contract's {@code DROP} fail: those with a normal dependency ({@code
 * pg_depend.deptype = 'n'}) on what is dropped. PostgreSQL refuses to drop an object that others depend on this way
 * unless CASCADE is given ("Dependency Tracking", section 5.15 of the PostgreSQL manual), and Tandem never cascades
 * into the user's objects. Automatic and internal dependencies (the table's own indexes, constraints on the column)
 * go with the drop and are not blockers.
 */
final class PostgresDependents {
    private PostgresDependents() {
    }

    /**
     * PostgreSQL 12 to 14 record a stored generated column's dependency on the columns it reads as an automatic one of
     * the column on the column (later versions: a normal one of its expression): dropping a column it reads silently
     * drops the generated column too. It is the user's object, so it blocks.
     */
    private static final String GENERATED_14 = """
            (d.deptype = 'a' AND d.classid = 'pg_class'::regclass AND d.objid = t.refobj AND t.refsub IS NOT NULL
                 AND d.objsubid <> 0 AND d.objsubid <> t.refsub
                 AND EXISTS (SELECT 1 FROM pg_attribute ga WHERE ga.attrelid = d.objid AND ga.attnum = d.objsubid
                             AND ga.attgenerated <> ''))""";

    /** What the dropped object is, as pg_depend references it: the class, the object and (for a column) its number. */
    private static final String TARGETS = """
            WITH rel AS (SELECT c.oid FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
                         WHERE n.nspname = ? AND c.relname = ?),
            target AS (
              SELECT 'pg_class'::regclass AS refclass, rel.oid AS refobj, a.attnum::int AS refsub, NULL::oid AS self,
                     ? = 'replaced' AS replaced
              FROM rel JOIN pg_attribute a ON a.attrelid = rel.oid AND a.attname = ? AND NOT a.attisdropped
              WHERE ? IN ('column', 'replaced')
              UNION ALL
              SELECT 'pg_class'::regclass, rel.oid, NULL, rel.oid, false FROM rel WHERE ? = 'table'
              UNION ALL
              SELECT 'pg_class'::regclass, x.indexrelid, NULL, NULL, false FROM rel
              JOIN pg_index x ON x.indrelid = rel.oid JOIN pg_class i ON i.oid = x.indexrelid AND i.relname = ?
              WHERE ? = 'index'
              UNION ALL
              SELECT 'pg_constraint'::regclass, k.oid, NULL, NULL, false FROM rel
              JOIN pg_constraint k ON k.conrelid = rel.oid AND k.conname = ? WHERE ? = 'constraint'
              UNION ALL
              -- The index a primary key, unique or exclusion constraint owns goes with it (a foreign key's conindid
              -- is the referenced table's index, which stays).
              SELECT 'pg_class'::regclass, k.conindid, NULL, NULL, false FROM rel
              JOIN pg_constraint k ON k.conrelid = rel.oid AND k.conname = ? AND k.contype IN ('p', 'u', 'x')
              WHERE ? = 'constraint'
              UNION ALL
              -- A dropped table takes its row type: functions and columns of that type depend on it.
              SELECT 'pg_type'::regclass, c.reltype, NULL, rel.oid, false FROM rel JOIN pg_class c ON c.oid = rel.oid
              WHERE ? = 'table'
            ),
            dependent AS (
              SELECT d.classid, d.objid, d.objsubid, t.self,
                     CASE d.classid
                       WHEN 'pg_rewrite'::regclass THEN (SELECT r.ev_class FROM pg_rewrite r WHERE r.oid = d.objid)
                       WHEN 'pg_constraint'::regclass THEN (SELECT k.conrelid FROM pg_constraint k WHERE k.oid = d.objid)
                       WHEN 'pg_trigger'::regclass THEN (SELECT g.tgrelid FROM pg_trigger g WHERE g.oid = d.objid)
                       WHEN 'pg_policy'::regclass THEN (SELECT p.polrelid FROM pg_policy p WHERE p.oid = d.objid)
                       WHEN 'pg_attrdef'::regclass THEN (SELECT ad.adrelid FROM pg_attrdef ad WHERE ad.oid = d.objid)
                       WHEN 'pg_class'::regclass THEN d.objid
                     END AS owner,
                     CASE d.classid
                       WHEN 'pg_constraint'::regclass THEN (SELECT k.conname FROM pg_constraint k WHERE k.oid = d.objid)
                       WHEN 'pg_trigger'::regclass THEN (SELECT g.tgname FROM pg_trigger g WHERE g.oid = d.objid)
                       WHEN 'pg_policy'::regclass THEN (SELECT p.polname FROM pg_policy p WHERE p.oid = d.objid)
                     END AS name
              FROM target t
              JOIN pg_depend d ON d.refclassid = t.refclass AND d.refobjid = t.refobj
                              AND (t.refsub IS NULL OR d.refobjsubid = t.refsub)
              WHERE (NOT (d.classid = t.refclass AND d.objid = t.refobj) OR {generated14})
                AND ((d.deptype = 'n'
                      -- An object that also depends automatically on what is dropped goes with it (a CHECK over the
                      -- dropped column records both): PostgreSQL drops it without CASCADE.
                      AND NOT EXISTS (SELECT 1 FROM pg_depend a
                                      WHERE a.classid = d.classid AND a.objid = d.objid AND a.deptype IN ('a', 'i')
                                        AND a.refclassid = t.refclass AND a.refobjid = t.refobj
                                        AND (t.refsub IS NULL OR a.refobjsubid = t.refsub)))
                     -- A column whose type changes is replaced by its shadow: Tandem rebuilds its indexes and checks
                     -- there, but extended statistics would go with the old one.
                     OR (t.replaced AND d.deptype = 'a' AND d.classid = 'pg_statistic_ext'::regclass)
                     OR {generated14}
                     -- The same recorded from the generation expression (pg_attrdef), automatic too.
                     OR (d.deptype = 'a' AND d.classid = 'pg_attrdef'::regclass AND t.refsub IS NOT NULL
                         AND EXISTS (SELECT 1 FROM pg_attrdef ad JOIN pg_attribute ga ON ga.attrelid = ad.adrelid
                                     AND ga.attnum = ad.adnum
                                     WHERE ad.oid = d.objid AND ad.adnum <> t.refsub AND ga.attgenerated <> '')))
            )
            SELECT DISTINCT
                   CASE WHEN d.classid = 'pg_rewrite'::regclass THEN
                          (SELECT CASE WHEN r.rulename <> '_RETURN' THEN 'rule ' || quote_ident(r.rulename) || ' on '
                                       WHEN c.relkind = 'm' THEN 'materialized view ' ELSE 'view ' END
                                  || quote_ident(n.nspname) || '.' || quote_ident(c.relname)
                           FROM pg_rewrite r JOIN pg_class c ON c.oid = r.ev_class
                           JOIN pg_namespace n ON n.oid = c.relnamespace WHERE r.oid = d.objid)
                        WHEN d.classid = 'pg_class'::regclass AND d.objsubid <> 0 THEN
                          (SELECT 'generated column ' || quote_ident(a.attname) || ' of ' || d.objid::regclass::text
                           FROM pg_attribute a WHERE a.attrelid = d.objid AND a.attnum = d.objsubid)
                        WHEN d.classid = 'pg_attrdef'::regclass THEN
                          (SELECT 'generated column ' || quote_ident(a.attname) || ' of ' || ad.adrelid::regclass::text
                           FROM pg_attrdef ad JOIN pg_attribute a ON a.attrelid = ad.adrelid AND a.attnum = ad.adnum
                           WHERE ad.oid = d.objid)
                        ELSE pg_describe_object(d.classid, d.objid, d.objsubid) END AS what,
                   (SELECT n.nspname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.oid = d.owner)
                     AS owner_schema
            FROM dependent d
            -- A table's own rules, triggers, policies and constraints go with DROP TABLE.
            WHERE (d.self IS NULL OR d.owner IS DISTINCT FROM d.self)
              AND coalesce(d.name, '') NOT LIKE '\\_tandem\\_%'
              -- The replaced column's table's own CHECK constraints: Tandem carries them to its shadow (or refuses).
              AND NOT (d.classid = 'pg_constraint'::regclass AND d.owner = (SELECT oid FROM rel)
                       AND EXISTS (SELECT 1 FROM target t WHERE t.replaced)
                       AND (SELECT k.contype FROM pg_constraint k WHERE k.oid = d.objid) = 'c')
              -- Policies on the replaced column's table that contract points at its shadow before the drop.
              AND NOT (d.classid = 'pg_policy'::regclass AND d.owner = (SELECT oid FROM rel) AND d.name = ANY (?::text[]))
            ORDER BY 1
            """.replace("{generated14}", GENERATED_14);

    /**
     * What is not Tandem's in or on a version schema, which dropping the schema with its views would take along: any
     * object in it but its views, and any object elsewhere that depends on one of its views.
     */
    static List<String> schemaBlockers(Connection c, String schema) throws SQLException {
        List<String> result = new ArrayList<>();
        try (PreparedStatement ps = c.prepareStatement("""
                WITH ns AS (SELECT oid FROM pg_namespace WHERE nspname = ?)
                SELECT CASE c.relkind WHEN 'r' THEN 'table ' WHEN 'p' THEN 'table ' WHEN 'm' THEN 'materialized view '
                            WHEN 'S' THEN 'sequence ' WHEN 'f' THEN 'foreign table ' ELSE 'relation ' END
                       || quote_ident(n.nspname) || '.' || quote_ident(c.relname)
                FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
                WHERE n.oid = (SELECT oid FROM ns) AND c.relkind IN ('r', 'p', 'm', 'S', 'f')
                UNION ALL
                SELECT 'function ' || p.oid::regprocedure::text FROM pg_proc p WHERE p.pronamespace = (SELECT oid FROM ns)
                UNION ALL
                SELECT 'type ' || t.oid::regtype::text FROM pg_type t
                WHERE t.typnamespace = (SELECT oid FROM ns) AND t.typrelid = 0 AND t.typelem = 0
                UNION ALL
                SELECT DISTINCT CASE WHEN d.classid = 'pg_rewrite'::regclass THEN
                         (SELECT CASE WHEN o.relkind = 'm' THEN 'materialized view ' ELSE 'view ' END
                                 || quote_ident(on2.nspname) || '.' || quote_ident(o.relname)
                          FROM pg_rewrite r JOIN pg_class o ON o.oid = r.ev_class
                          JOIN pg_namespace on2 ON on2.oid = o.relnamespace WHERE r.oid = d.objid)
                       ELSE pg_describe_object(d.classid, d.objid, d.objsubid) END
                       || ' (it depends on ' || quote_ident(n.nspname) || '.' || quote_ident(v.relname) || ')'
                FROM pg_class v JOIN pg_namespace n ON n.oid = v.relnamespace
                JOIN pg_depend d ON d.refclassid = 'pg_class'::regclass AND d.refobjid = v.oid AND d.deptype = 'n'
                WHERE n.oid = (SELECT oid FROM ns) AND v.relkind = 'v'
                  AND NOT (d.classid = 'pg_rewrite'::regclass
                           AND (SELECT r.ev_class FROM pg_rewrite r WHERE r.oid = d.objid) = v.oid)
                ORDER BY 1""")) {
            ps.setString(1, schema);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) if (rs.getString(1) != null) result.add(rs.getString(1));
            }
        }
        return result;
    }

    /**
     * The user's objects that would stop contract from dropping {@code dropped}, each described as PostgreSQL names
     * it ("view app.v", "constraint c_fk on table c", "policy p on table t"). Objects in {@code ownSchemas} (the
     * version schemas, which contract replaces first) and Tandem's own {@code _tandem_*} objects are not counted.
     */
    static List<String> blockers(Connection c, String schema, Plan.Dropped dropped, Collection<String> ownSchemas)
            throws SQLException {
        List<String> result = new ArrayList<>();
        try (PreparedStatement ps = c.prepareStatement(TARGETS)) {
            String name = dropped.name() == null ? "" : dropped.name();
            String kind = dropped.kind();
            Object[] params = {schema, dropped.table(), kind, name, kind, kind, name, kind, name, kind, name, kind, kind};
            for (int i = 0; i < params.length; i++) ps.setObject(i + 1, params[i]);
            ps.setArray(params.length + 1, c.createArrayOf("text", dropped.repointed().toArray()));
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    if (rs.getString(1) == null || ownSchemas.contains(rs.getString(2))) continue;
                    result.add(rs.getString(1));
                }
            }
        }
        return result;
    }
}
