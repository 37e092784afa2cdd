package dev.tandem.dialect.postgres;

import dev.tandem.catalog.Catalog;
import dev.tandem.dialect.Ddl;
import dev.tandem.dialect.Dialect;
import dev.tandem.dialect.ReplicaLagMeter;

import java.sql.Array;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** PostgreSQL 14 and later. */
public final class PostgresDialect implements Dialect {
    private final PostgresDdl ddl = new PostgresDdl(this);
    private final PostgresBackfill backfill = new PostgresBackfill(this);

    @Override
    public String quote(String identifier) {
        if (identifier.indexOf('\0') >= 0) throw new IllegalArgumentException("identifier contains a NUL character");
        return '"' + identifier.replace("\"", "\"\"") + '"';
    }

    @Override
    public String literal(String value) {
        if (value.indexOf('\0') >= 0) throw new IllegalArgumentException("literal contains a NUL character");
        // standard_conforming_strings is on in every supported version: only the quote needs doubling.
        return "'" + value.replace("'", "''") + "'";
    }

    @Override
    public int maxIdentifierBytes() {
        return 63;
    }

    @Override
    public Ddl ddl() {
        return ddl;
    }

    @Override
    public void setTimeouts(Connection c, Duration lockTimeout, Duration statementTimeout) throws SQLException {
        timeouts(c, lockTimeout, statementTimeout, false);
    }

    @Override
    public void setTransactionTimeouts(Connection c, Duration lockTimeout, Duration statementTimeout) throws SQLException {
        timeouts(c, lockTimeout, statementTimeout, true);
    }

    private static void timeouts(Connection c, Duration lockTimeout, Duration statementTimeout, boolean local)
            throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(
                "SELECT set_config('lock_timeout', ?, ?), set_config('statement_timeout', ?, ?)")) {
            ps.setString(1, lockTimeout.toMillis() + "ms");
            ps.setBoolean(2, local);
            ps.setString(3, statementTimeout.toMillis() + "ms");
            ps.setBoolean(4, local);
            ps.execute();
        }
    }

    @Override
    public boolean isRetryable(SQLException e) {
        String state = e.getSQLState();
        // 55P03 lock_not_available (lock_timeout), 40P01 deadlock, 40001 serialization failure,
        // 57014 query_canceled (statement_timeout while waiting).
        return "55P03".equals(state) || "40P01".equals(state) || "40001".equals(state) || "57014".equals(state);
    }

    @Override
    public boolean cannotRunInTransaction(SQLException e) {
        return "25001".equals(e.getSQLState()); // active_sql_transaction
    }

    @Override
    public boolean isConnectionLost(SQLException e) {
        String state = e.getSQLState();
        return state != null && (state.startsWith("08") || state.equals("57P01") || state.equals("57P02") || state.equals("57P03"));
    }

    /** too_many_connections ("PostgreSQL Error Codes", Appendix A): max_connections or a role's CONNECTION LIMIT. */
    @Override
    public boolean isTooManyConnections(SQLException e) {
        return "53300".equals(e.getSQLState());
    }

    @Override
    public boolean isUndefinedObject(SQLException e) {
        // 42P01 undefined_table, 3F000 invalid_schema_name
        return "42P01".equals(e.getSQLState()) || "3F000".equals(e.getSQLState());
    }

    @Override
    public boolean tryMigrationLock(Connection c, String key) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("SELECT pg_try_advisory_lock(hashtextextended(?, 0))")) {
            ps.setString(1, key);
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                return rs.getBoolean(1);
            }
        }
    }

    @Override
    public void releaseMigrationLock(Connection c, String key) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("SELECT pg_advisory_unlock(hashtextextended(?, 0))")) {
            ps.setString(1, key);
            ps.execute();
        }
    }

    @Override
    public void checkType(Connection c, String type) throws SQLException {
        canonicalType(c, type);
    }

    @Override
    public String canonicalType(Connection c, String type) throws SQLException {
        // The cast through regtype accepts only a single type name (with modifiers such as varchar(20)), so a
        // type that passes here can never smuggle other SQL into the DDL it is written into.
        try (PreparedStatement ps = c.prepareStatement(
                "SELECT format_type(t.oid, NULL) FROM pg_type t WHERE t.oid = ?::regtype")) {
            ps.setString(1, type);
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                String base = rs.getString(1);
                int paren = type.indexOf('(');
                return paren >= 0 && !base.contains("(") ? base + type.substring(paren).replace(" ", "") : base;
            }
        }
    }

    @Override
    public void checkExpression(Connection c, String expression, Map<String, String> rowTypes, String targetType)
            throws SQLException {
        if (expression.contains("$tandem")) {
            throw new SQLException("the expression must not contain \"$tandem\" (it delimits trigger bodies)");
        }
        // The reader refuses these already; migrations built in code come here directly. pgjdbc splits even a
        // prepared statement at a top-level ';', so an expression that escaped its parentheses would run as
        // statements of its own, a COMMIT included.
        String lexical = dev.tandem.migration.SqlExpressionText.problem(expression);
        if (lexical != null) throw new SQLException("the expression " + lexical);
        checkType(c, targetType);
        for (String type : rowTypes.values()) checkType(c, type);
        List<String> row = new ArrayList<>();
        rowTypes.forEach((name, type) -> row.add("NULL::" + type + " AS " + quote(name)));
        if (row.isEmpty()) row.add("1 AS " + quote("_tandem_nothing"));
        try (Statement st = c.createStatement()) {
            st.execute("SAVEPOINT tandem_check");
            st.execute("CREATE TEMP TABLE IF NOT EXISTS " + quote("_tandem_check") + " (v " + targetType + ") ON COMMIT DROP");
        }
        // The INSERT applies assignment-cast rules: the same ones the trigger and the backfill use.
        try (PreparedStatement ps = c.prepareStatement("INSERT INTO pg_temp." + quote("_tandem_check")
                + " SELECT (" + expression + ") FROM (SELECT " + String.join(", ", row) + ") AS " + quote("_tandem_row")
                + " LIMIT 0")) {
            ps.execute();
        } catch (SQLException e) {
            throw inUsersTerms(e);
        } finally {
            try (Statement st = c.createStatement()) {
                st.execute("ROLLBACK TO SAVEPOINT tandem_check");
            }
        }
    }

    /**
     * {@code INSERT INTO} a temporary column of the target type {@code SELECT (<expression>)} over the rows, which
     * applies the assignment casts the trigger and the backfill write by. A plain read: ACCESS SHARE on the table, no
     * row locks, so no writer waits; the temporary table goes with the caller's rollback.
     */
    @Override
    public void checkExpressionOnRows(Connection c, String schema, String table, List<Ddl.ViewColumn> row, List<String> orderBy,
                                      String expression, String targetType, long offset, long limit) throws SQLException {
        List<String> select = row.stream().map(col -> quote(col.physical()) + " AS " + quote(col.name())).toList();
        try (Statement st = c.createStatement()) {
            st.execute("CREATE TEMP TABLE IF NOT EXISTS " + quote("_tandem_check") + " (v " + targetType + ") ON COMMIT DROP");
            st.execute("INSERT INTO pg_temp." + quote("_tandem_check") + " SELECT (" + expression + ") FROM (SELECT "
                    + String.join(", ", select) + " FROM " + qualify(schema, table)
                    + (orderBy.isEmpty() ? "" : " ORDER BY " + quoteAll(orderBy))
                    + " LIMIT " + limit + " OFFSET " + offset + ") AS " + quote("_tandem_row"));
        } catch (SQLException e) {
            throw inUsersTerms(e);
        }
    }

    @Override
    public void checkIndex(Connection c, String schema, String table, Map<String, String> addedColumns,
                           Catalog.IndexShape shape, boolean unique) throws SQLException {
        String copy = "pg_temp." + quote("_tandem_index_check");
        try (Statement st = c.createStatement()) {
            st.execute("SAVEPOINT tandem_index_check");
            try {
                // LIKE copies the columns with their types and collations, and reads the table's definition only.
                st.execute("CREATE TEMP TABLE " + quote("_tandem_index_check") + " (LIKE " + qualify(schema, table) + ")");
                for (var column : addedColumns.entrySet()) {
                    checkType(c, column.getValue());
                    st.execute("ALTER TABLE " + copy + " ADD COLUMN " + quote(column.getKey()) + " " + column.getValue());
                }
                st.execute("CREATE " + (unique ? "UNIQUE " : "") + "INDEX ON " + copy + " " + ddl.indexBody(shape));
            } catch (SQLException e) {
                String said = e instanceof org.postgresql.util.PSQLException p && p.getServerErrorMessage() != null
                        ? p.getServerErrorMessage().getMessage() : e.getMessage();
                throw new SQLException(said == null ? null : said.replace("\"_tandem_index_check\"", "the table"),
                        e.getSQLState(), e);
            } finally {
                st.execute("ROLLBACK TO SAVEPOINT tandem_index_check");
            }
        }
    }

    /** The probe's "v" column and "_tandem_row" alias are Tandem's; the user wrote neither, so neither is named. */
    private static SQLException inUsersTerms(SQLException e) {
        // The server's own message, without the driver's "ERROR: " and position decorations.
        String message = e instanceof org.postgresql.util.PSQLException p && p.getServerErrorMessage() != null
                ? p.getServerErrorMessage().getMessage() : e.getMessage();
        if (message == null) return e;
        String said = message.replaceFirst("column \"v\" is of type (.+?) but expression is of type",
                        "the column is of type $1 but the expression is of type")
                .replace("relation \"_tandem_check\"", "the column")
                .replace("table \"_tandem_row\"", "the row");
        return said.equals(e.getMessage()) ? e : new SQLException(said, e.getSQLState(), e);
    }

    @Override
    public List<String> dropBlockers(Connection c, String schema, dev.tandem.engine.Plan.Dropped dropped,
                                     java.util.Collection<String> ownSchemas) throws SQLException {
        return PostgresDependents.blockers(c, schema, dropped, ownSchemas);
    }

    @Override
    public List<dev.tandem.engine.TableLock> relationLocksHeld(Connection c, RelationNames before) throws SQLException {
        // pg_locks lists each lock mode held separately ("pg_locks" in the PostgreSQL manual); LockMode keeps the
        // strongest. Tables and views only, as plan reports them: indexes, sequences and TOAST tables are left out.
        // A relation the statement dropped has no pg_class row any more, and one it renamed has its new name: both
        // are named as they were before it.
        Map<String, dev.tandem.engine.TableLock> locks = new java.util.TreeMap<>();
        try (PreparedStatement ps = c.prepareStatement("""
                SELECT l.relation::bigint, n.nspname, r.relname, l.mode, r.relkind IN ('r', 'p', 'v', 'm', 'f')
                FROM pg_locks l
                LEFT JOIN pg_class r ON r.oid = l.relation
                LEFT JOIN pg_namespace n ON n.oid = r.relnamespace
                WHERE l.pid = pg_backend_pid() AND l.locktype = 'relation' AND l.granted
                  AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())""");
             ResultSet rs = ps.executeQuery()) {
            while (rs.next()) {
                List<String> was = before == null ? null : before.byId().get(rs.getLong(1));
                String schema = rs.getString(2), name = rs.getString(3);
                if (was == null && (name == null || !rs.getBoolean(5))) continue; // not a table or view of ours
                if (was == null && (schema.equals("pg_catalog") || schema.equals("information_schema")
                        || schema.startsWith("pg_"))) continue;
                String renamedTo = was != null && name != null && !(was.get(0).equals(schema) && was.get(1).equals(name)) ? name : null;
                var lock = was != null
                        ? new dev.tandem.engine.TableLock(was.get(0), was.get(1), dev.tandem.engine.LockMode.of(rs.getString(4)), renamedTo)
                        : new dev.tandem.engine.TableLock(schema, name, dev.tandem.engine.LockMode.of(rs.getString(4)));
                locks.merge(lock.qualifiedName(), lock, (a, b) -> a.mode().strongest(b.mode()) == a.mode() ? a : b);
            }
        }
        return List.copyOf(locks.values());
    }

    @Override
    public RelationNames relationNames(Connection c) throws SQLException {
        Map<Long, List<String>> byId = new java.util.HashMap<>();
        try (PreparedStatement ps = c.prepareStatement("""
                SELECT r.oid::bigint, n.nspname, r.relname FROM pg_class r JOIN pg_namespace n ON n.oid = r.relnamespace
                WHERE r.relkind IN ('r', 'p', 'v', 'm', 'f') AND n.nspname NOT IN ('pg_catalog', 'information_schema')
                  AND n.nspname NOT LIKE 'pg\\_%'""");
             ResultSet rs = ps.executeQuery()) {
            while (rs.next()) byId.put(rs.getLong(1), List.of(rs.getString(2), rs.getString(3)));
        }
        return new RelationNames(byId);
    }

    @Override
    public Violations violations(Connection c, String schema, String relation, String condition, int samples)
            throws SQLException {
        // A prepared statement holds one command, so the condition (already checked as an expression) cannot add another.
        String from = " FROM " + qualify(schema, relation) + " AS " + quote("_tandem_row") + " WHERE NOT (" + condition + ")";
        long rows;
        try (PreparedStatement ps = c.prepareStatement("SELECT count(*)" + from); ResultSet rs = ps.executeQuery()) {
            rs.next();
            rows = rs.getLong(1);
        }
        List<String> found = new ArrayList<>();
        if (rows > 0) {
            try (PreparedStatement ps = c.prepareStatement("SELECT " + quote("_tandem_row") + "::text" + from + " LIMIT " + samples);
                 ResultSet rs = ps.executeQuery()) {
                while (rs.next()) found.add(rs.getString(1));
            }
        }
        return new Violations(rows, found);
    }

    @Override
    public List<String> versionSchemaBlockers(Connection c, String versionSchema) throws SQLException {
        return PostgresDependents.schemaBlockers(c, versionSchema);
    }

    @Override
    public String viewsCannotKeepRowSecurity(Catalog catalog) {
        // security_invoker views came with PostgreSQL 15 ("CREATE VIEW" in its manual); before, a view reads its
        // tables as the view's owner, for whom row-level security does not apply.
        return catalog.serverVersion() >= 150000 ? null : "views check rows as their owner on PostgreSQL "
                + catalog.serverVersion() / 10000 + " (security_invoker views need PostgreSQL 15)";
    }

    @Override
    public String describeError(SQLException e) {
        if (!(e instanceof org.postgresql.util.PSQLException p) || p.getServerErrorMessage() == null) {
            return e.getMessage();
        }
        var m = p.getServerErrorMessage();
        StringBuilder sb = new StringBuilder(m.getMessage());
        if (m.getDetail() != null) sb.append(" (").append(m.getDetail().replace('\n', ' ')).append(')');
        if (m.getHint() != null && !m.getHint().contains("CASCADE")) sb.append(". ").append(m.getHint());
        return sb.toString();
    }

    @Override
    public String endSessionAdvice() {
        return "end that session sooner with pg_terminate_backend";
    }

    @Override
    public List<LockHolder> migrationLockHolders(Connection c, String key) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("""
                SELECT nullif(a.application_name, ''), coalesce(a.client_addr::text, 'local'), a.backend_start, a.pid
                FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid,
                     LATERAL (SELECT hashtextextended(?, 0) AS k) h
                WHERE l.locktype = 'advisory' AND l.granted
                  AND l.classid::bigint = ((h.k >> 32) & 4294967295) AND l.objid::bigint = (h.k & 4294967295)
                ORDER BY a.backend_start""")) {
            ps.setString(1, key);
            List<LockHolder> holders = new java.util.ArrayList<>();
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    java.sql.Timestamp since = rs.getTimestamp(3);
                    holders.add(new LockHolder(rs.getLong(4), rs.getString(1), rs.getString(2), since == null ? null : since.toInstant()));
                }
            }
            return holders;
        }
    }

    @Override
    public long sessionId(Connection c) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("SELECT pg_backend_pid()"); ResultSet rs = ps.executeQuery()) {
            rs.next();
            return rs.getLong(1);
        }
    }

    @Override
    public boolean schemaExists(Connection c, String schema) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("SELECT EXISTS (SELECT 1 FROM pg_namespace WHERE nspname = ?)")) {
            ps.setString(1, schema);
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                return rs.getBoolean(1);
            }
        }
    }

    @Override
    public String defaultSchema(Connection c) {
        return "public";
    }

    @Override
    public void setSearchPath(Connection c, List<String> schemas) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("SELECT set_config('search_path', ?, false)")) {
            ps.setString(1, quoteAll(schemas));
            ps.execute();
        }
    }

    /** Plain lower-case names stay bare, so the common URL stays readable; search_path folds anything else. */
    private static final java.util.regex.Pattern BARE_IN_SEARCH_PATH = java.util.regex.Pattern.compile("[a-z_][a-z0-9_$]*");

    @Override
    public String searchPathValue(List<String> schemas) {
        return String.join(",", schemas.stream().map(s -> BARE_IN_SEARCH_PATH.matcher(s).matches() ? s : quote(s)).toList());
    }

    @Override
    public String setSearchPathStatement(List<String> schemas) {
        return "SET search_path TO " + quoteAll(schemas);
    }

    @Override
    public void setApplicationName(Connection c, String name) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("SELECT set_config('application_name', ?, false)")) {
            ps.setString(1, name);
            ps.execute();
        }
    }

    @Override
    public List<String> highestKey(Connection c, String schema, String table, List<String> keys) throws SQLException {
        return backfill.highestKey(c, schema, table, keys);
    }

    @Override
    public long estimateRows(Connection c, String schema, String table) throws SQLException {
        return backfill.estimateRows(c, schema, table);
    }

    @Override
    public boolean backfillMaySkipTriggers(Connection c, String schema, dev.tandem.engine.Plan.BackfillTask task,
                                           String syncTrigger) throws SQLException {
        return backfill.maySkipTriggers(c, schema, task, syncTrigger);
    }

    @Override
    public List<String> backfillRangeEnd(Connection c, String schema, dev.tandem.engine.Plan.BackfillTask task,
                                         List<String> after, List<String> upTo, int size) throws SQLException {
        return backfill.rangeEnd(c, schema, task, after, upTo, size);
    }

    @Override
    public long backfillRange(Connection c, String schema, dev.tandem.engine.Plan.BackfillTask task, List<String> after,
                              List<String> to, boolean skipTriggers) throws SQLException {
        return backfill.fillRange(c, schema, task, after, to, skipTriggers);
    }

    @Override
    public Pages pagesToWalk(Connection c, String schema, String table) throws SQLException {
        return backfill.pagesToWalk(c, schema, table);
    }

    @Override
    public PageBatch backfillPages(Connection c, String schema, dev.tandem.engine.Plan.BackfillTask task, long from,
                                   long to, String storage, boolean skipTriggers) throws SQLException {
        return backfill.pages(c, schema, task, from, to, storage, skipTriggers);
    }

    /** Reads each replica's replay position on the replica alone ({@link #replayLag}): nothing to write on the primary. */
    @Override
    public ReplicaLagMeter replicaLagMeter(String stateSchema, String schema) {
        return new ReplicaLagMeter() {
            @Override
            public void mark(Connection primary) {
            }

            @Override
            public Lag lag(Connection primary, Connection replica) throws SQLException {
                Duration lag = replayLag(replica);
                return lag == null ? Lag.NOT_A_REPLICA : Lag.behind(lag);
            }
        };
    }

    /**
     * How far behind its primary a replica is, read on the replica itself; zero when it has replayed everything it
     * received. Null when the server is not a replica.
     */
    static Duration replayLag(Connection c) throws SQLException {
        // Replay paused or slow: WAL keeps arriving but is not applied, so received > replayed and the lag is the
        // age of the last replayed commit. Caught up: no lag, however long ago the last commit was.
        try (PreparedStatement ps = c.prepareStatement("""
                SELECT pg_is_in_recovery(),
                       pg_last_wal_receive_lsn() IS NOT DISTINCT FROM pg_last_wal_replay_lsn(),
                       EXTRACT(EPOCH FROM now() - pg_last_xact_replay_timestamp())""");
             ResultSet rs = ps.executeQuery()) {
            rs.next();
            if (!rs.getBoolean(1)) return null;
            if (rs.getBoolean(2)) return Duration.ZERO;
            double seconds = rs.getDouble(3);
            return rs.wasNull() ? Duration.ofDays(1) : Duration.ofMillis((long) (seconds * 1000));
        }
    }

    @Override
    public Duration replicationLagSeenByPrimary(Connection c) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(
                "SELECT coalesce(max(EXTRACT(EPOCH FROM replay_lag)), 0) FROM pg_stat_replication");
             ResultSet rs = ps.executeQuery()) {
            rs.next();
            return Duration.ofMillis((long) (rs.getDouble(1) * 1000));
        }
    }

    @Override
    public int otherActiveSessions(Connection c, String toolApplicationName) throws SQLException {
        // state is NULL for sessions of roles this one may not inspect (without pg_read_all_stats): they do not count.
        try (PreparedStatement ps = c.prepareStatement("SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'client backend'"
                + " AND state = 'active' AND pid <> pg_backend_pid()"
                + " AND coalesce(application_name, '') <> ? AND coalesce(application_name, '') NOT LIKE ?")) {
            // Tandem's own sessions: the bare name, or the name, a space and the command (Names.toolApplicationName).
            ps.setString(1, toolApplicationName);
            ps.setString(2, toolApplicationName.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + " %");
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                return rs.getInt(1);
            }
        }
    }

    @Override
    public VerifyChunk verifyChunk(Connection c, String schema, String table, List<String> keyColumns, List<String> keyTypes,
                                   List<String> after, int size, List<String> predicates) throws SQLException {
        return backfill.verifyChunk(c, schema, table, keyColumns, keyTypes, after, size, predicates);
    }

    @Override
    public String checkExpression(String definition) {
        var m = java.util.regex.Pattern.compile("(?s)^CHECK \\((.*)\\)( NOT VALID)?$").matcher(definition.trim());
        return m.matches() ? m.group(1) : null;
    }

    @Override
    public Catalog readCatalog(Connection c, String schema) throws SQLException {
        Map<String, List<Catalog.Column>> columns = new LinkedHashMap<>();
        // Beyond type, nullability and default: what the column carries that a new column would not have (each NULL
        // where it is the default), the sequence it owns (serial: deptype 'a'; identity: 'i'), and whether its
        // default reads a sequence. attstattarget is -1 for the default before PostgreSQL 17, NULL from 17 on.
        try (PreparedStatement ps = c.prepareStatement("""
                SELECT t.relname, a.attname, format_type(a.atttypid, a.atttypmod), a.attnotnull,
                       -- A generated column's expression is no default: nothing may copy it as one.
                       CASE WHEN a.attgenerated = '' THEN pg_get_expr(ad.adbin, ad.adrelid) END, a.attidentity, a.attnum,
                       col_description(t.oid, a.attnum), CASE WHEN a.attstattarget >= 0 THEN a.attstattarget END,
                       a.attoptions, CASE WHEN a.attstorage <> ty.typstorage THEN a.attstorage::text END,
                       CASE WHEN a.attcollation <> 0 AND a.attcollation <> ty.typcollation THEN cn.nspname END,
                       CASE WHEN a.attcollation <> 0 AND a.attcollation <> ty.typcollation THEN co.collname END,
                       nullif(a.attcompression::text, ''), os.nspname, os.relname, os.type,
                       EXISTS (SELECT 1 FROM pg_depend d JOIN pg_class s ON s.oid = d.refobjid AND s.relkind = 'S'
                               WHERE d.classid = 'pg_attrdef'::regclass AND d.objid = ad.oid
                                 AND d.refclassid = 'pg_class'::regclass)
                FROM pg_class t
                JOIN pg_namespace n ON n.oid = t.relnamespace
                JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum > 0 AND NOT a.attisdropped
                JOIN pg_type ty ON ty.oid = a.atttypid
                LEFT JOIN pg_collation co ON co.oid = a.attcollation
                LEFT JOIN pg_namespace cn ON cn.oid = co.collnamespace
                LEFT JOIN pg_attrdef ad ON ad.adrelid = t.oid AND ad.adnum = a.attnum
                LEFT JOIN LATERAL (
                    SELECT sn.nspname, s.relname, format_type(q.seqtypid, NULL) AS type
                    FROM pg_depend d JOIN pg_class s ON s.oid = d.objid AND s.relkind = 'S'
                    JOIN pg_namespace sn ON sn.oid = s.relnamespace JOIN pg_sequence q ON q.seqrelid = s.oid
                    WHERE d.classid = 'pg_class'::regclass AND d.refclassid = 'pg_class'::regclass
                      AND d.refobjid = t.oid AND d.refobjsubid = a.attnum AND d.deptype IN ('a', 'i')
                    ORDER BY s.oid LIMIT 1) os ON true
                WHERE n.nspname = ? AND t.relkind IN ('r', 'p') AND NOT t.relispartition
                ORDER BY t.relname, a.attnum""")) {
            ps.setString(1, schema);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    Integer statistics = rs.getObject(9) == null ? null : rs.getInt(9);
                    Catalog.Attributes attributes = new Catalog.Attributes(rs.getString(8), statistics, strings(rs.getArray(10)),
                            rs.getString(11), rs.getString(12), rs.getString(13), rs.getString(14));
                    Catalog.Sequence sequence = rs.getString(16) == null ? null
                            : new Catalog.Sequence(rs.getString(15), rs.getString(16), rs.getString(17));
                    columns.computeIfAbsent(rs.getString(1), k -> new ArrayList<>()).add(new Catalog.Column(
                            rs.getString(2), rs.getString(3), rs.getBoolean(4), rs.getString(5), rs.getString(6), rs.getInt(7),
                            attributes, sequence, rs.getBoolean(18)));
                }
            }
        }
        Map<String, List<Catalog.Constraint>> constraints = new LinkedHashMap<>();
        Map<String, List<String>> primaryKeys = new LinkedHashMap<>();
        try (PreparedStatement ps = c.prepareStatement("""
                SELECT t.relname, c.conname, c.contype,
                       ARRAY(SELECT a.attname FROM unnest(c.conkey) WITH ORDINALITY k(attnum, i)
                             JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = k.attnum ORDER BY k.i)::text[],
                       pg_get_constraintdef(c.oid), c.convalidated,
                       rn.nspname, r.relname,
                       ARRAY(SELECT a.attname FROM unnest(c.confkey) WITH ORDINALITY k(attnum, i)
                             JOIN pg_attribute a ON a.attrelid = c.confrelid AND a.attnum = k.attnum ORDER BY k.i)::text[],
                       c.confdeltype, obj_description(c.oid, 'pg_constraint')
                FROM pg_constraint c
                LEFT JOIN pg_class r ON r.oid = c.confrelid
                LEFT JOIN pg_namespace rn ON rn.oid = r.relnamespace
                JOIN pg_class t ON t.oid = c.conrelid
                JOIN pg_namespace n ON n.oid = t.relnamespace
                WHERE n.nspname = ? AND c.contype IN ('p', 'u', 'c', 'f', 'x')
                ORDER BY t.relname, c.conname""")) {
            ps.setString(1, schema);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    List<String> cols = strings(rs.getArray(4));
                    char type = rs.getString(3).charAt(0);
                    Catalog.Constraint.Reference reference = type != 'f' ? null : new Catalog.Constraint.Reference(
                            rs.getString(7), rs.getString(8), strings(rs.getArray(9)), switch (rs.getString(10)) {
                                case "r" -> "RESTRICT";
                                case "c" -> "CASCADE";
                                case "n" -> "SET NULL";
                                case "d" -> "SET DEFAULT";
                                default -> "NO ACTION";
                            });
                    constraints.computeIfAbsent(rs.getString(1), k -> new ArrayList<>()).add(new Catalog.Constraint(
                            rs.getString(2), type, cols, rs.getString(5), rs.getBoolean(6), reference, rs.getString(11)));
                    if (type == 'p') primaryKeys.put(rs.getString(1), cols);
                }
            }
        }
        int serverVersion = serverVersionNum(c);
        Map<String, PostgresIndexShapes.Keys> indexKeys = PostgresIndexShapes.keys(c, schema);
        Map<String, List<Catalog.Index>> indexes = new LinkedHashMap<>();
        Map<String, String> indexToTable = new LinkedHashMap<>();
        try (PreparedStatement ps = c.prepareStatement("""
                SELECT t.relname, i.relname,
                       ARRAY(SELECT coalesce(a.attname, '') FROM unnest(x.indkey::int2[]) WITH ORDINALITY k(attnum, o)
                             LEFT JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = k.attnum ORDER BY k.o)::text[],
                       x.indisunique, x.indisvalid, pg_get_indexdef(x.indexrelid),
                       (SELECT conname FROM pg_constraint WHERE conindid = x.indexrelid AND conrelid = t.oid LIMIT 1),
                       x.indexprs IS NULL AND x.indpred IS NULL,
                       am.amname, i.reloptions::text[], ts.spcname, pg_get_expr(x.indpred, x.indrelid, true),
                       x.indisreplident, x.indisclustered, """ + (serverVersion >= 150000 ? "x.indnullsnotdistinct" : "false") + """
                       , obj_description(x.indexrelid, 'pg_class')

                FROM pg_index x
                JOIN pg_class i ON i.oid = x.indexrelid
                JOIN pg_am am ON am.oid = i.relam
                LEFT JOIN pg_tablespace ts ON ts.oid = i.reltablespace
                JOIN pg_class t ON t.oid = x.indrelid
                JOIN pg_namespace n ON n.oid = t.relnamespace
                WHERE n.nspname = ? AND NOT t.relispartition
                ORDER BY t.relname, i.relname""")) {
            ps.setString(1, schema);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    String name = rs.getString(2);
                    List<String> keyColumns = strings(rs.getArray(3));
                    PostgresIndexShapes.Keys keys = indexKeys.getOrDefault(name, PostgresIndexShapes.Keys.NONE);
                    Catalog.IndexShape shape = new Catalog.IndexShape(rs.getString(9), keys.keys(), keys.include(),
                            rs.getBoolean(15), strings(rs.getArray(10)), rs.getString(11), rs.getString(12));
                    indexes.computeIfAbsent(rs.getString(1), k -> new ArrayList<>()).add(new Catalog.Index(
                            name, keyColumns, rs.getBoolean(4), rs.getBoolean(5),
                            rs.getString(6), rs.getString(7), rs.getBoolean(8), shape, rs.getBoolean(13), rs.getBoolean(14),
                            rs.getString(16)));
                    indexToTable.put(name, rs.getString(1));
                }
            }
        }
        Map<String, List<Catalog.Privilege>> privileges = new LinkedHashMap<>();
        java.util.Set<String> rowSecurity = new java.util.HashSet<>();
        // Privileges of roles other than the owner (the owner's are implicit), on tables and on single columns.
        try (PreparedStatement ps = c.prepareStatement("""
                SELECT t.relname, CASE WHEN x.grantee = 0 THEN 'PUBLIC' ELSE pg_get_userbyid(x.grantee) END,
                       x.privilege_type, NULL::text, x.is_grantable, t.relrowsecurity
                FROM pg_class t JOIN pg_namespace n ON n.oid = t.relnamespace
                LEFT JOIN LATERAL aclexplode(t.relacl) x ON x.grantee <> t.relowner
                WHERE n.nspname = ? AND t.relkind IN ('r', 'p')
                UNION ALL
                SELECT t.relname, CASE WHEN x.grantee = 0 THEN 'PUBLIC' ELSE pg_get_userbyid(x.grantee) END,
                       x.privilege_type, a.attname::text, x.is_grantable, t.relrowsecurity
                FROM pg_class t JOIN pg_namespace n ON n.oid = t.relnamespace
                JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum > 0 AND NOT a.attisdropped AND a.attacl IS NOT NULL
                CROSS JOIN LATERAL aclexplode(a.attacl) x
                WHERE n.nspname = ? AND t.relkind IN ('r', 'p') AND x.grantee <> t.relowner
                ORDER BY 1, 2, 3, 4""")) {
            ps.setString(1, schema);
            ps.setString(2, schema);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    if (rs.getBoolean(6)) rowSecurity.add(rs.getString(1));
                    if (rs.getString(3) == null) continue;
                    privileges.computeIfAbsent(rs.getString(1), k -> new ArrayList<>()).add(new Catalog.Privilege(
                            rs.getString(2), rs.getString(3), rs.getString(4), rs.getBoolean(5)));
                }
            }
        }
        Map<String, List<Catalog.Trigger>> triggers = new LinkedHashMap<>();
        // tgtype bits (pg_trigger.h): 1 row, 2 before, 4 insert, 16 update; tgattr: the UPDATE OF columns, if any.
        // Tandem's own triggers are left out.
        try (PreparedStatement ps = c.prepareStatement("""
                SELECT t.relname, g.tgname, (g.tgtype & 3) = 3, (g.tgtype & 4) <> 0, (g.tgtype & 16) <> 0,
                       (g.tgtype & 17) = 17 AND cardinality(g.tgattr::int2[]) = 0
                FROM pg_trigger g JOIN pg_class t ON t.oid = g.tgrelid JOIN pg_namespace n ON n.oid = t.relnamespace
                WHERE n.nspname = ? AND t.relkind IN ('r', 'p') AND NOT g.tgisinternal AND g.tgenabled <> 'D'
                  AND g.tgname NOT LIKE '\\_tandem\\_%' AND g.tgname NOT LIKE '!tandem%' AND g.tgname NOT LIKE '~tandem%'
                ORDER BY 1, 2""")) {
            ps.setString(1, schema);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    triggers.computeIfAbsent(rs.getString(1), k -> new ArrayList<>()).add(new Catalog.Trigger(
                            rs.getString(2), rs.getBoolean(3), rs.getBoolean(4), rs.getBoolean(5), false, 0,
                            rs.getBoolean(6)));
                }
            }
        }
        int version = serverVersion;
        Map<String, Catalog.Inheritance> inheritance = PostgresInheritance.read(c, schema);
        Map<String, Catalog.Replication> replication = PostgresPublications.read(c, schema, version);
        Map<String, List<Catalog.Policy>> policies = new LinkedHashMap<>();
        try (PreparedStatement ps = c.prepareStatement("""
                SELECT t.relname, p.polname, pg_get_expr(p.polqual, p.polrelid), pg_get_expr(p.polwithcheck, p.polrelid)
                FROM pg_policy p JOIN pg_class t ON t.oid = p.polrelid JOIN pg_namespace n ON n.oid = t.relnamespace
                WHERE n.nspname = ? ORDER BY 1, 2""")) {
            ps.setString(1, schema);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    policies.computeIfAbsent(rs.getString(1), k -> new ArrayList<>()).add(new Catalog.Policy(
                            rs.getString(2), rs.getString(3), rs.getString(4)));
                }
            }
        }
        Map<String, Catalog.Table> tables = new LinkedHashMap<>();
        for (var e : columns.entrySet()) {
            String name = e.getKey();
            tables.put(name, new Catalog.Table(name, List.copyOf(e.getValue()),
                    primaryKeys.getOrDefault(name, List.of()),
                    List.copyOf(constraints.getOrDefault(name, List.of())),
                    List.copyOf(indexes.getOrDefault(name, List.of())),
                    List.copyOf(privileges.getOrDefault(name, List.of())), rowSecurity.contains(name),
                    List.copyOf(triggers.getOrDefault(name, List.of())),
                    inheritance.getOrDefault(name, Catalog.Inheritance.NONE),
                    replication.getOrDefault(name, Catalog.Replication.NONE),
                    List.copyOf(policies.getOrDefault(name, List.of()))));
        }
        return new Catalog(schema, tables, indexToTable, version, collatableTypes(c),
                PostgresPublications.ofEveryTable(c, schema, version));
    }

    /** Types that take a collation, by both the names a migration may write them with (varchar, character varying). */
    private static java.util.Set<String> collatableTypes(Connection c) throws SQLException {
        java.util.Set<String> names = new java.util.HashSet<>();
        try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery(
                "SELECT format_type(oid, NULL), typname FROM pg_type WHERE typcollation <> 0 AND typtype <> 'p'")) {
            while (rs.next()) {
                names.add(rs.getString(1));
                names.add(rs.getString(2));
            }
        }
        return names;
    }

    /** The server's version as a number, e.g. 150004 for 15.4 ("server_version_num" in the PostgreSQL manual). */
    private static int serverVersionNum(Connection c) throws SQLException {
        try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery("SELECT current_setting('server_version_num')::int")) {
            rs.next();
            return rs.getInt(1);
        }
    }

    static List<String> strings(Array array) throws SQLException {
        return array == null ? List.of() : Arrays.asList((String[]) array.getArray());
    }


    @Override
    public dev.tandem.state.StateStore stateStore(String stateSchema, String schema) {
        return new PostgresStateStore(this, stateSchema, schema);
    }

    /** See {@link PostgresServerCheck} for what is checked (privileges only) and what is not. */
    /**
     * PostgreSQL tells the new version by the schema a statement's table name resolves to, which a login can settle
     * by itself: a role's own {@code search_path}.
     */
    @Override
    public String newVersionLoginsRefused(List<String> logins, String versionSchema) {
        if (logins.isEmpty()) return null;
        String role = quote(logins.get(0));
        return "per-version logins (--new-version-login) are for MariaDB, where a session cannot show which database"
                + " it uses. On PostgreSQL a login selects its version with its own search path: ALTER ROLE " + role
                + " SET search_path = " + quote(versionSchema) + "; (run once the version is ready) selects it for"
                + " every new session of " + role + ". Run again without --new-version-login";
    }

    @Override
    public ServerReport checkServer(Connection connection, ServerNeeds needs) throws SQLException {
        return new PostgresServerCheck(this).check(connection, needs);
    }

    /** Contract renames every table and column into place ({@link PostgresDdl#contractRenames}): no aliases remain. */
    @Override
    public dev.tandem.catalog.VersionNames versionNames(Connection connection, String versionSchema) {
        return dev.tandem.catalog.VersionNames.NONE;
    }

    @Override
    public dev.tandem.migration.ColumnReferences.Syntax expressionSyntax() {
        return dev.tandem.migration.ColumnReferences.Syntax.POSTGRESQL;
    }

    /** pgjdbc's {@code currentSchema} (the search path: the version's views, then the managed schema) and {@code ApplicationName}. */
    @Override
    public VersionSettings versionSettings(String versionSchema, String schema, String version, String instanceName) {
        List<String> path = versionSchema.equals(schema) ? List.of(schema) : List.of(versionSchema, schema);
        String params = "currentSchema=" + java.net.URLEncoder.encode(searchPathValue(path), java.nio.charset.StandardCharsets.UTF_8)
                + (instanceName == null ? "" : "&ApplicationName="
                + java.net.URLEncoder.encode(instanceName, java.nio.charset.StandardCharsets.UTF_8));
        return new VersionSettings(null, params, List.of("currentSchema", "ApplicationName"), setSearchPathStatement(path),
                "its connections' search_path, and its ApplicationName (a connection property, or &ApplicationName=... in the URL)",
                "pgjdbc", "ApplicationName");
    }
}
