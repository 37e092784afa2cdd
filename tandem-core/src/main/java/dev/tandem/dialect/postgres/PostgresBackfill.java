package dev.tandem.dialect.postgres;

import dev.tandem.dialect.Dialect;
import dev.tandem.engine.Plan;

import java.sql.Array;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;

/**
 * The backfill's and verify's queries on PostgreSQL. A batch updates the rows no writer has touched since expand in
 * a range of pages (one round trip) or of keys (two): no row is read twice, and round trips are per batch, not per row.
 */
final class PostgresBackfill {
    /** The name of verify's chunk CTE: unlike "b", no user table is called that (a table "b" broke a join). */
    private static final String BATCH = "\"_tandem_batch\"";

    private final PostgresDialect d;

    PostgresBackfill(PostgresDialect dialect) {
        this.d = dialect;
    }

    List<String> highestKey(Connection c, String schema, String table, List<String> keys) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("SELECT " + textArray(keys) + " FROM " + d.qualify(schema, table)
                + " ORDER BY " + order(keys, "DESC") + " LIMIT 1");
             ResultSet rs = ps.executeQuery()) {
            return rs.next() ? strings(rs.getArray(1)) : null;
        }
    }

    long estimateRows(Connection c, String schema, String table) throws SQLException {
        // A full count would cost minutes on a large table before the first batch; reltuples is free. It is -1 (PG
        // 14+) or 0 for a table never vacuumed or analyzed: then the rows are counted, but only up to a bound that
        // takes a fraction of a second, so that a huge freshly loaded table cannot hold the start up (progress then
        // lets the total grow with the rows done).
        try (PreparedStatement ps = c.prepareStatement("SELECT c.reltuples::bigint FROM pg_class c JOIN pg_namespace n"
                + " ON n.oid = c.relnamespace WHERE n.nspname = ? AND c.relname = ?")) {
            ps.setString(1, schema);
            ps.setString(2, table);
            try (ResultSet rs = ps.executeQuery()) {
                if (rs.next() && rs.getLong(1) > 0) return rs.getLong(1);
            }
        }
        try (PreparedStatement ps = c.prepareStatement("SELECT count(*) FROM (SELECT 1 FROM " + d.qualify(schema, table)
                + " LIMIT " + COUNT_BOUND + ") AS \"_tandem_rows\"");
             ResultSet rs = ps.executeQuery()) {
            rs.next();
            return rs.getLong(1);
        }
    }

    private static final long COUNT_BOUND = 1_000_000;

    /**
     * What could react to a backfill write, other than the sync trigger: any user trigger (it may audit, stamp or
     * cascade, and a backfill must not change what it sees); internal triggers except those of foreign keys on columns
     * the backfill does not write (a foreign key on a written column must check every value it writes; deferred
     * unique checks are internal triggers too); and rules on the table, which replica mode skips as well.
     */
    private static final String OTHERS_REACTING = "SELECT (SELECT count(*) FROM pg_trigger g"
            + " LEFT JOIN pg_constraint k ON k.oid = g.tgconstraint AND k.contype = 'f'"
            + " WHERE g.tgrelid = r.oid AND g.tgname <> ?"
            + " AND (k.oid IS NULL OR EXISTS (SELECT 1 FROM pg_attribute a WHERE a.attrelid = r.oid AND a.attname = ANY (?)"
            + " AND ((k.conrelid = r.oid AND a.attnum = ANY (k.conkey)) OR (k.confrelid = r.oid AND a.attnum = ANY (k.confkey))))))"
            + " + (SELECT count(*) FROM pg_rewrite w WHERE w.ev_class = r.oid)"
            + " FROM pg_class r JOIN pg_namespace n ON n.oid = r.relnamespace WHERE n.nspname = ? AND r.relname = ?";

    /**
     * With nothing but the sync trigger reacting to its writes, a batch runs with {@code session_replication_role =
     * replica}, which leaves ordinary triggers and rules unfired: the sync trigger would only return at its first line, yet
     * entering PL/pgSQL per row cost about a tenth of the backfill's speed. Constraints other than foreign keys
     * (CHECK, NOT NULL, unique indexes) are not triggers and still apply. The role needs superuser or, from PostgreSQL
     * 15, {@code GRANT SET ON PARAMETER session_replication_role}; without it the triggers fire as before.
     */
    boolean maySkipTriggers(Connection c, String schema, Plan.BackfillTask task, String syncTrigger) throws SQLException {
        List<String> written = new ArrayList<>();
        for (Plan.Assignment a : task.assignments()) written.add(a.column());
        written.add(task.doneColumn());
        try (PreparedStatement ps = c.prepareStatement(OTHERS_REACTING)) {
            ps.setString(1, syncTrigger);
            ps.setArray(2, c.createArrayOf("text", written.toArray()));
            ps.setString(3, schema);
            ps.setString(4, task.table());
            try (ResultSet rs = ps.executeQuery()) {
                if (!rs.next() || rs.getLong(1) > 0) return false;
            }
        }
        boolean auto = c.getAutoCommit();
        c.setAutoCommit(false);
        try {
            skipTriggers(c);
            return true;
        } catch (SQLException e) {
            if ("42501".equals(e.getSQLState())) return false; // insufficient_privilege
            throw e;
        } finally {
            c.rollback();
            c.setAutoCommit(auto);
        }
    }

    /** For the open transaction only (set_config's {@code is_local}), so a pooled connection never keeps it. */
    private static void skipTriggers(Connection c) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("SELECT set_config('session_replication_role', 'replica', true)")) {
            ps.execute();
        }
    }

    /** See {@link Dialect#backfillRangeEnd}: an index-only scan. */
    List<String> rangeEnd(Connection c, String schema, Plan.BackfillTask task, List<String> after, List<String> upTo,
                          int size) throws SQLException {
        String table = d.qualify(schema, task.table());
        List<String> keys = task.keyColumns();
        String typed = typedTuple(task);
        String from = after == null ? "TRUE" : tuple(keys) + " > " + typed;
        try (PreparedStatement ps = c.prepareStatement("SELECT " + textArray(keys) + " FROM " + table + " WHERE " + from
                + " AND " + tuple(keys) + " <= " + typed + " ORDER BY " + order(keys, "ASC") + " OFFSET ? LIMIT 1")) {
            int p = bind(ps, 1, after);
            p = bind(ps, p, upTo);
            ps.setInt(p, size - 1);
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next() ? strings(rs.getArray(1)) : null;
            }
        }
    }

    /** See {@link Dialect#backfillRange}. */
    long fillRange(Connection c, String schema, Plan.BackfillTask task, List<String> after, List<String> to,
                   boolean skipTriggers) throws SQLException {
        if (skipTriggers) skipTriggers(c);
        String table = d.qualify(schema, task.table());
        List<String> keys = task.keyColumns();
        String typed = typedTuple(task);
        String from = after == null ? "TRUE" : tuple(keys) + " > " + typed;
        // Re-checked on the newest row version under READ COMMITTED: a row a writer touched meanwhile is left alone.
        try (PreparedStatement ps = c.prepareStatement("UPDATE " + table + " SET " + setClause(task) + " WHERE " + from
                + " AND " + tuple(keys) + " <= " + typed + " AND " + d.quote(task.doneColumn()) + " IS NOT TRUE")) {
            int p = bind(ps, 1, after);
            bind(ps, p, to);
            return ps.executeUpdate();
        }
    }

    /**
     * A page walk needs TID range scans (PostgreSQL 14+) and a plain heap table whose UPDATE touches its own pages
     * only: not a partitioned table, nor a table with inheritance children, whose pages are numbered apart from the
     * parent's; not another access method, whose row addresses need not be pages at all.
     */
    Dialect.Pages pagesToWalk(Connection c, String schema, String table) throws SQLException {
        long end;
        String storage;
        double perPage;
        try (PreparedStatement ps = c.prepareStatement("SELECT pg_relation_size(r.oid) / current_setting('block_size')::bigint,"
                + " pg_relation_filepath(r.oid), r.relkind = 'r' AND NOT r.relhassubclass"
                + " AND current_setting('server_version_num')::int >= 140000 AND current_setting('enable_tidscan')::boolean"
                + " AND r.relam = (SELECT oid FROM pg_am WHERE amname = 'heap'),"
                + " CASE WHEN r.relpages > 0 AND r.reltuples > 0 THEN r.reltuples / r.relpages END,"
                + " (SELECT s.n_live_tup FROM pg_stat_all_tables s WHERE s.relid = r.oid)"
                + " FROM pg_class r JOIN pg_namespace n ON n.oid = r.relnamespace WHERE n.nspname = ? AND r.relname = ?")) {
            ps.setString(1, schema);
            ps.setString(2, table);
            try (ResultSet rs = ps.executeQuery()) {
                if (!rs.next() || !rs.getBoolean(3)) return null;
                end = rs.getLong(1);
                storage = rs.getString(2);
                perPage = rs.getDouble(4);
                // The statistics' live row count follows writes that ANALYZE has not seen yet (a table filled, or
                // half its rows moved, since).
                if (end > 0) perPage = Math.max(perPage, (double) rs.getLong(5) / end);
            }
        }
        // The batch size in pages is the batch size in rows divided by this, so an estimate too low makes one batch
        // of the whole table (no rate limit, one long transaction), while one too high only makes the first batches
        // short until the size adapts to their duration: take the highest of the estimates. Pages across the table are
        // counted too: after a rollback and a new expand the first pages hold dead row versions and the last ones the
        // live rows, and the statistics (sent late by PostgreSQL before 15) may not know yet.
        if (end > 0) perPage = Math.max(perPage, sampledRowsPerPage(c, d.qualify(schema, table), end));
        return new Dialect.Pages(end, storage, Math.max(1.0, perPage));
    }

    private static final int SAMPLE_WINDOWS = 10;
    private static final long SAMPLE_WINDOW_PAGES = 10;

    /**
     * The live rows per page in SAMPLE_WINDOWS runs of SAMPLE_WINDOW_PAGES pages spread over the table's {@code end}
     * pages: at most 100 pages read, each run a TID range scan.
     */
    private static double sampledRowsPerPage(Connection c, String table, long end) throws SQLException {
        long rows = 0, pages = 0;
        try (PreparedStatement ps = c.prepareStatement("SELECT count(*) FROM " + table
                + " WHERE ctid >= CAST(? AS tid) AND ctid < CAST(? AS tid)")) {
            long windows = Math.min(SAMPLE_WINDOWS, Math.max(1, end / SAMPLE_WINDOW_PAGES));
            for (long w = 0; w < windows; w++) {
                long from = end * w / windows;
                long to = Math.min(end, from + SAMPLE_WINDOW_PAGES);
                ps.setString(1, "(" + from + ",0)");
                ps.setString(2, "(" + to + ",0)");
                try (ResultSet rs = ps.executeQuery()) {
                    rs.next();
                    rows += rs.getLong(1);
                }
                pages += to - from;
            }
        }
        return pages == 0 ? 0 : (double) rows / pages;
    }

    /**
     * One batch of a page walk: a TID range scan reads just these pages, as a plain UPDATE's sequential scan reads
     * them, with no key index to walk. Row versions written since the walk began are all flagged done (by the sync
     * trigger or by the backfill itself), so only rows that were on these pages when it began can match. A rewrite
     * (VACUUM FULL, CLUSTER) renumbers the pages; the storage test is a one-time filter evaluated after the UPDATE
     * has locked the table, so a batch on renumbered pages changes nothing and says so.
     */
    Dialect.PageBatch pages(Connection c, String schema, Plan.BackfillTask task, long from, long to, String storage,
                            boolean skipTriggers) throws SQLException {
        if (skipTriggers) skipTriggers(c);
        String table = d.qualify(schema, task.table());
        long filled;
        // ONLY: should inheritance children appear meanwhile, their pages are not the ones walked.
        try (PreparedStatement ps = c.prepareStatement("UPDATE ONLY " + table + " SET " + setClause(task)
                + " WHERE ctid >= CAST(? AS tid) AND ctid < CAST(? AS tid) AND " + d.quote(task.doneColumn()) + " IS NOT TRUE"
                + " AND pg_relation_filepath(CAST(? AS regclass)) = ?")) {
            ps.setString(1, "(" + from + ",0)");
            ps.setString(2, "(" + to + ",0)");
            ps.setString(3, table);
            ps.setString(4, storage);
            filled = ps.executeUpdate();
        }
        if (filled > 0) return new Dialect.PageBatch(filled, false);
        try (PreparedStatement ps = c.prepareStatement("SELECT pg_relation_filepath(CAST(? AS regclass)) IS DISTINCT FROM ?")) {
            ps.setString(1, table);
            ps.setString(2, storage);
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                return new Dialect.PageBatch(0, rs.getBoolean(1));
            }
        }
    }

    /** The new-form columns from their {@code up} expressions, and the done flag. */
    private String setClause(Plan.BackfillTask task) {
        List<String> sets = new ArrayList<>();
        for (Plan.Assignment a : task.assignments()) sets.add(d.quote(a.column()) + " = (" + a.expression() + ")");
        sets.add(d.quote(task.doneColumn()) + " = true");
        return String.join(", ", sets);
    }

    private static int bind(PreparedStatement ps, int from, List<String> values) throws SQLException {
        int p = from;
        if (values != null) for (String v : values) ps.setString(p++, v);
        return p;
    }

    Dialect.VerifyChunk verifyChunk(Connection c, String schema, String table, List<String> keys, List<String> keyTypes,
                                    List<String> after, int size, List<String> predicates) throws SQLException {
        String t = d.qualify(schema, table);
        List<String> parts = new ArrayList<>();
        for (String type : keyTypes) parts.add("CAST(? AS " + type + ")");
        String typed = "(" + String.join(", ", parts) + ")";
        String keyText = keys.size() == 1 ? d.quote(keys.get(0)) + "::text" : "ROW(" + d.quoteAll(keys) + ")::text";
        StringBuilder sql = new StringBuilder("WITH " + BATCH + " AS (SELECT *, " + keyText + " AS \"_tandem_key\", "
                + textArray(keys) + " AS \"_tandem_keys\" FROM " + t
                + (after == null ? "" : " WHERE " + tuple(keys) + " > " + typed)
                + " ORDER BY " + order(keys, "ASC") + " LIMIT ?) SELECT count(*),"
                + " (SELECT \"_tandem_keys\" FROM " + BATCH + " ORDER BY " + order(keys, "DESC") + " LIMIT 1)");
        for (String p : predicates) {
            // A predicate that is NULL is not a match: CHECK constraints pass on NULL, and so does this.
            sql.append(", count(*) FILTER (WHERE (").append(p).append(") IS TRUE)")
               .append(", (array_agg(\"_tandem_key\") FILTER (WHERE (").append(p).append(") IS TRUE))[1:5]");
        }
        sql.append(" FROM ").append(BATCH);
        try (PreparedStatement ps = c.prepareStatement(sql.toString())) {
            int i = 1;
            if (after != null) for (String k : after) ps.setString(i++, k);
            ps.setInt(i, size);
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                long[] counts = new long[predicates.size()];
                List<List<String>> samples = new ArrayList<>();
                for (int p = 0; p < predicates.size(); p++) {
                    counts[p] = rs.getLong(3 + 2 * p);
                    List<String> sample = strings(rs.getArray(4 + 2 * p));
                    samples.add(sample == null ? List.of() : sample);
                }
                return new Dialect.VerifyChunk(rs.getLong(1), strings(rs.getArray(2)), counts, samples);
            }
        }
    }

    private String tuple(List<String> keys) {
        return "(" + d.quoteAll(keys) + ")";
    }

    /** Checkpoints are stored as text; each part is cast back to its column's type (types come from the catalog). */
    private static String typedTuple(Plan.BackfillTask task) {
        List<String> parts = new ArrayList<>();
        for (String type : task.keyTypes()) parts.add("CAST(? AS " + type + ")");
        return "(" + String.join(", ", parts) + ")";
    }

    private String order(List<String> keys, String direction) {
        return String.join(", ", keys.stream().map(k -> d.quote(k) + " " + direction).toList());
    }

    private String textArray(List<String> keys) {
        return "ARRAY[" + String.join(", ", keys.stream().map(k -> d.quote(k) + "::text").toList()) + "]";
    }

    private static List<String> strings(Array a) throws SQLException {
        return a == null ? null : List.of((String[]) a.getArray());
    }
}
