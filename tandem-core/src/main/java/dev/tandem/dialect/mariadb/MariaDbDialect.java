package dev.tandem.dialect.mariadb;

import dev.tandem.catalog.Catalog;
import dev.tandem.dialect.Ddl;
import dev.tandem.dialect.Dialect;
import dev.tandem.engine.Names;
import dev.tandem.dialect.ReplicaLagMeter;
import dev.tandem.engine.Plan;
import dev.tandem.engine.TableLock;
import dev.tandem.state.StateStore;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.ResultSetMetaData;
import java.sql.SQLException;
import java.sql.SQLNonTransientConnectionException;
import java.sql.SQLTransientConnectionException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * MariaDB 10.11 and later, and MySQL 8.0.32 and later (its differences held by {@link Flavor}). A PostgreSQL schema is
 * a MariaDB database here: the managed schema is the application's database, a version schema is a version database,
 * and the state lives in a database of its own (docs/DESIGN.md, "MariaDB and MySQL"). The DDL vocabulary is
 * {@code MariaDbDdl}'s; the plan-time checks are {@link MariaDbExpressionCheck}'s and {@link MariaDbIndexCheck}'s, what
 * stands in the way of contract's drops {@link MariaDbDropBlockers}' and {@link MariaDbVersionDatabaseBlockers}'.
 * Backfill batches are still to come (issue 12, in progress).
 */
public final class MariaDbDialect implements Dialect {

    /** The server family: what MySQL does differently from MariaDB. */
    public enum Flavor {
        /** MariaDB: {@code max_statement_time} in seconds for every statement, {@code ALTER ... WAIT n}. */
        MARIADB,
        /**
         * MySQL 8.0.32 and later: {@code max_execution_time} in milliseconds for SELECT only, no {@code WAIT n} on
         * ALTER, no anonymous blocks, no IF [NOT] EXISTS on ALTER's clauses, no NOCOPY: docs/DESIGN.md, "MariaDB and
         * MySQL", lists each difference and the statement Tandem writes instead.
         */
        MYSQL;

        /**
         * The CHECK constraints as a relation with MariaDB's columns CONSTRAINT_SCHEMA, TABLE_NAME, CONSTRAINT_NAME,
         * CHECK_CLAUSE and LEVEL. MySQL's information_schema.CHECK_CONSTRAINTS has no TABLE_NAME and no LEVEL ("The
         * INFORMATION_SCHEMA CHECK_CONSTRAINTS Table", 28.3.5 of the MySQL 8.4 manual): the table comes from
         * TABLE_CONSTRAINTS (a CHECK's name is unique in its schema there), and every CHECK is a table constraint.
         */
        String checkConstraints() {
            return this == MARIADB ? "information_schema.CHECK_CONSTRAINTS"
                    : "(SELECT cc.CONSTRAINT_SCHEMA, tc.TABLE_NAME, cc.CONSTRAINT_NAME, cc.CHECK_CLAUSE, 'Table' AS LEVEL"
                    + " FROM information_schema.CHECK_CONSTRAINTS cc JOIN information_schema.TABLE_CONSTRAINTS tc"
                    + " ON tc.CONSTRAINT_SCHEMA = cc.CONSTRAINT_SCHEMA AND tc.CONSTRAINT_NAME = cc.CONSTRAINT_NAME"
                    + " AND tc.CONSTRAINT_TYPE = 'CHECK') AS CHECK_CONSTRAINTS";
        }

        /**
         * information_schema.STATISTICS's word for an index the optimizer leaves unused, as {@code 'YES'} or {@code
         * 'NO'}: MariaDB's IGNORED (10.6+); MySQL has no IGNORED but IS_VISIBLE, its opposite ("The INFORMATION_SCHEMA
         * STATISTICS Table", 28.3.34, and "Invisible Indexes", 10.3.12, of the MySQL 8.4 manual).
         */
        String indexIgnored() {
            return this == MARIADB ? "IGNORED" : "IF(IS_VISIBLE = 'NO', 'YES', 'NO')";
        }

        /**
         * information_schema.STATISTICS's expression of a functional key part, whose COLUMN_NAME is NULL: MySQL's
         * EXPRESSION (8.0.13+, "The INFORMATION_SCHEMA STATISTICS Table", 28.3.34 of the MySQL 8.4 manual); MariaDB has
         * no functional key parts and no such column.
         */
        String indexExpression() {
            return this == MARIADB ? "NULL" : "EXPRESSION";
        }

        /** The clause of an index definition that leaves it unused by the optimizer: IGNORED, MySQL's INVISIBLE. */
        String ignoredIndexClause() {
            return this == MARIADB ? " IGNORED" : " INVISIBLE";
        }
    }

    /** MariaDB error numbers ("MariaDB Error Codes" in its manual); MySQL shares those below 3000. */
    static final int LOCK_WAIT_TIMEOUT = 1205, DEADLOCK = 1213, LOCK_NOWAIT = 3572, STATEMENT_TIMEOUT = 1969,
            MYSQL_QUERY_TIMEOUT = 3024, NO_SUCH_TABLE = 1146, UNKNOWN_DATABASE = 1049, UNKNOWN_TABLE = 1051,
            CANT_DROP_FIELD_OR_KEY = 1091, DROP_DATABASE_MISSING = 1008, NO_SUCH_TRIGGER = 1360,
            SERVER_GONE = 2006, LOST_CONNECTION = 2013, CONNECTION_KILLED = 1927, SERVER_SHUTDOWN = 1053,
            MYSQL_CLIENT_INTERACTION_TIMEOUT = 4031;

    /** The largest lock_wait_timeout and innodb_lock_wait_timeout take: no limit, as a zero timeout means. */
    private static final long NO_LOCK_LIMIT = 31_536_000;

    private final Flavor flavor;
    private final MariaDbTypes types = new MariaDbTypes(this);

    public MariaDbDialect(Flavor flavor) {
        this.flavor = java.util.Objects.requireNonNull(flavor);
        this.ddl = new MariaDbDdl(flavor);
    }

    public Flavor flavor() {
        return flavor;
    }

    /** Backticks, a backtick inside doubled ("Identifier Names" in the MariaDB manual). */
    @Override
    public String quote(String identifier) {
        if (identifier.indexOf('\0') >= 0) throw new IllegalArgumentException("identifier contains a NUL character");
        return '`' + identifier.replace("`", "``") + '`';
    }

    /**
     * Single quotes, a quote inside doubled and a backslash doubled ("String Literals" in the MariaDB manual): right
     * under the default SQL mode, in which a backslash escapes. A session with {@code NO_BACKSLASH_ESCAPES} would read
     * each doubled backslash as two; Tandem's statements run on its own sessions, which keep the server's default.
     */
    @Override
    public String literal(String value) {
        if (value.indexOf('\0') >= 0) throw new IllegalArgumentException("literal contains a NUL character");
        return "'" + value.replace("\\", "\\\\").replace("'", "''") + "'";
    }

    /** 64 characters ("Identifier Names" in the MariaDB manual); Tandem's own names keep to 63 bytes. */
    @Override
    public int maxIdentifierBytes() {
        return 64;
    }

    /** The database's tables, as {@link MariaDbCatalogReader} reads them from information_schema. */
    @Override
    public Catalog readCatalog(Connection c, String schema) throws SQLException {
        return MariaDbCatalogReader.read(c, schema, flavor);
    }

    /**
     * For the rest of the session: {@code lock_wait_timeout} (metadata locks: DDL waiting for a table's users, and
     * anyone queued behind it) and {@code innodb_lock_wait_timeout} (row locks), both in whole seconds, rounded up,
     * at least 1; and the statement limit, {@code max_statement_time} on MariaDB (seconds, fractions allowed: every
     * statement but those inside stored routines) or {@code max_execution_time} on MySQL (milliseconds: read-only
     * SELECT statements only, so DDL and writes there run unbounded). A zero duration means no limit.
     */
    @Override
    public void setTimeouts(Connection c, Duration lockTimeout, Duration statementTimeout) throws SQLException {
        try (Statement st = c.createStatement()) {
            st.execute("SET SESSION " + timeoutAssignments(lockTimeout, statementTimeout));
        }
    }

    /**
     * On MariaDB the statement is bounded by {@code lockTimeout} ({@code max_statement_time}, fractions of a second,
     * which also ends a metadata-lock wait: measured 200 ms for 0.2 on 11.4): {@code lock_wait_timeout} takes whole
     * seconds only, and NOWAIT never gets the lock of a table some session always uses. The executor gives a lock
     * timeout only to catalog-only steps. MySQL's max_execution_time bounds read-only SELECTs only: there the lock
     * wait is a whole second at least.
     */
    /**
     * A step may send several statements at once (a sync trigger per event), which both drivers refuse with 1064
     * unless {@code allowMultiQueries=true}; found here, before anything changes, rather than halfway through expand.
     */
    @Override
    public void checkToolSession(Connection c) throws SQLException {
        try (Statement st = c.createStatement()) {
            st.execute("DO 0; DO 0");
        } catch (SQLException e) {
            if (e.getErrorCode() != 1064) throw e;
            throw new dev.tandem.TandemException(dev.tandem.TandemException.Kind.INVALID_INPUT, "this DataSource sends"
                    + " one statement per call, and Tandem sends some steps' statements together: add"
                    + " allowMultiQueries=true to its JDBC URL, or give Tandem the URL (Tandem.configure().url(...)),"
                    + " which adds it");
        }
    }

    /** A long step (NOCOPY, INPLACE) runs with NOWAIT: retried often, as it queues no one when it fails. */
    @Override
    public Duration longestRetryPause(boolean longStep) {
        return longStep ? Duration.ofMillis(250) : Duration.ofSeconds(5);
    }

    /**
     * MySQL: no statement limit for DDL and no NOWAIT on ALTER, so every DDL step's metadata-lock wait is bounded by
     * {@code lock_wait_timeout}: the lock timeout rounded up to whole seconds, and 1 s (its least value, "Server System
     * Variables", 7.1.8 of the MySQL 8.4 manual) for a long step, which MariaDB runs with NOWAIT. A long step's row
     * locks are not bounded, as on MariaDB. The session's foreign_key_checks, if a failed step left it off
     * ({@link MariaDbDdl#RESTORE_FOREIGN_KEY_CHECKS}), is put back first.
     */
    @Override
    public void setDdlTimeouts(Connection c, Duration lockTimeout, Duration statementTimeout) throws SQLException {
        if (flavor == Flavor.MYSQL) {
            long metadataSeconds = lockTimeout.isZero() ? 1 : Math.max(1, (lockTimeout.toMillis() + 999) / 1000);
            long rowSeconds = lockTimeout.isZero() ? NO_LOCK_LIMIT : metadataSeconds;
            try (Statement st = c.createStatement()) {
                st.execute(MariaDbDdl.RESTORE_FOREIGN_KEY_CHECKS);
                st.execute("SET SESSION lock_wait_timeout = " + metadataSeconds + ", innodb_lock_wait_timeout = "
                        + rowSeconds + ", max_execution_time = " + statementTimeout.toMillis());
            }
            return;
        }
        boolean bounded = flavor == Flavor.MARIADB && !lockTimeout.isZero()
                && (statementTimeout.isZero() || lockTimeout.compareTo(statementTimeout) < 0);
        setTimeouts(c, lockTimeout, bounded ? lockTimeout : statementTimeout);
    }

    /** On MariaDB, not MySQL, whose lock_wait_timeout is at least 1 s. */
    @Override
    public boolean hasLockProbe() {
        return flavor == Flavor.MARIADB;
    }

    /** MariaDB: through {@link MetadataLockWatchdog}, as the server bounds lock waits in whole seconds only. */
    @Override
    public boolean hasBoundedInPlaceWait() {
        return flavor == Flavor.MARIADB;
    }

    /**
     * The ALTER with {@code WAIT n} (the lock timeout rounded up to a second) in place of NOWAIT, under a {@link
     * MetadataLockWatchdog} that ends it once it has waited the lock timeout for its metadata lock, at its start or its
     * end; the session's other timeouts stay as they are (none, for an in-place step). A statement not written by
     * {@link OnlineAlter} runs as it is.
     */
    @Override
    public void executeWaitingForLock(Connection c, String sql, Duration lockTimeout, Connections others)
            throws SQLException {
        if (!hasBoundedInPlaceWait()) {
            Dialect.super.executeWaitingForLock(c, sql, lockTimeout, others);
            return;
        }
        long seconds = Math.max(1, (lockTimeout.toMillis() + 999) / 1000);
        var waiting = OnlineAlter.waiting(sql, seconds);
        if (waiting.isEmpty()) {
            try (Statement st = c.createStatement()) {
                st.execute(sql);
            }
            return;
        }
        MetadataLockWatchdog.execute(c, waiting.get(), lockTimeout, others);
    }

    /**
     * {@code lock_wait_timeout = 0}: every statement, CREATE TRIGGER and CREATE VIEW too (which take no NOWAIT clause),
     * fails at once with 1205 where it would wait ({@code MariaDbFactsTest.lockWaitTimeoutZeroMakesEveryStatementNowait}).
     */
    @Override
    public void setLockProbe(Connection c) throws SQLException {
        if (!hasLockProbe()) Dialect.super.setLockProbe(c);
        try (Statement st = c.createStatement()) {
            st.execute("SET SESSION lock_wait_timeout = 0");
        }
    }

    private String timeoutAssignments(Duration lockTimeout, Duration statementTimeout) {
        long lockSeconds = lockTimeout.isZero() ? NO_LOCK_LIMIT
                : Math.max(1, (lockTimeout.toMillis() + 999) / 1000);
        String statement = flavor == Flavor.MARIADB
                ? "max_statement_time = " + statementTimeout.toMillis() / 1000.0
                : "max_execution_time = " + statementTimeout.toMillis();
        return "lock_wait_timeout = " + lockSeconds + ", innodb_lock_wait_timeout = " + lockSeconds + ", " + statement;
    }

    /**
     * The timeouts of {@link #setTimeouts}, for the session: MariaDB and MySQL cannot scope a setting to a
     * transaction. The values they replace are kept in user variables of the session, and
     * {@link #endTransactionTimeouts} puts them back.
     */
    @Override
    public void setTransactionTimeouts(Connection c, Duration lockTimeout, Duration statementTimeout) throws SQLException {
        String statementVariable = flavor == Flavor.MARIADB ? "max_statement_time" : "max_execution_time";
        try (Statement st = c.createStatement()) {
            // Only the first call of a transaction saves: a second one must not save the first one's values.
            st.execute("SET @tandem_saved_lock_wait_timeout = IFNULL(@tandem_saved_lock_wait_timeout, @@SESSION.lock_wait_timeout),"
                    + " @tandem_saved_innodb_lock_wait_timeout = IFNULL(@tandem_saved_innodb_lock_wait_timeout, @@SESSION.innodb_lock_wait_timeout),"
                    + " @tandem_saved_statement_time = IFNULL(@tandem_saved_statement_time, @@SESSION." + statementVariable + ")");
            st.execute("SET SESSION " + timeoutAssignments(lockTimeout, statementTimeout));
        }
    }

    @Override
    public void endTransactionTimeouts(Connection c) throws SQLException {
        String statementVariable = flavor == Flavor.MARIADB ? "max_statement_time" : "max_execution_time";
        try (Statement st = c.createStatement()) {
            // A user variable's type is not always the one the setting takes ("Incorrect argument type"): cast back.
            st.execute("SET SESSION lock_wait_timeout = CAST(IFNULL(@tandem_saved_lock_wait_timeout, @@SESSION.lock_wait_timeout) AS UNSIGNED),"
                    + " innodb_lock_wait_timeout = CAST(IFNULL(@tandem_saved_innodb_lock_wait_timeout, @@SESSION.innodb_lock_wait_timeout) AS UNSIGNED),"
                    + " " + statementVariable + " = CAST(IFNULL(@tandem_saved_statement_time, @@SESSION." + statementVariable + ") AS "
                    + (flavor == Flavor.MARIADB ? "DOUBLE" : "UNSIGNED") + ")");
            st.execute("SET @tandem_saved_lock_wait_timeout = NULL, @tandem_saved_innodb_lock_wait_timeout = NULL,"
                    + " @tandem_saved_statement_time = NULL");
        }
    }

    /** From INNODB_TRX, which needs PROCESS (without it: none); see {@link MariaDbOpenTransactions}. */
    @Override
    public List<OpenTransaction> longTransactions(Connection c, Duration olderThan) throws SQLException {
        return MariaDbOpenTransactions.olderThan(c, olderThan, flavor);
    }

    /**
     * 1205 (a row or metadata lock not granted within its timeout, and MariaDB's {@code WAIT n} / {@code NOWAIT} on
     * DDL), 1213 (deadlock victim; also what Galera answers a transaction its DDL aborted), 3572 (MySQL's NOWAIT),
     * and the statement limits: 1969 (MariaDB's max_statement_time), 3024 (MySQL's max_execution_time).
     */
    @Override
    public boolean isRetryable(SQLException e) {
        int code = e.getErrorCode();
        return code == LOCK_WAIT_TIMEOUT || code == DEADLOCK || code == LOCK_NOWAIT || code == STATEMENT_TIMEOUT
                || code == MYSQL_QUERY_TIMEOUT || "40001".equals(e.getSQLState());
    }

    /** Every statement runs in a transaction (DDL commits the open one first): none refuses to. */
    @Override
    public boolean cannotRunInTransaction(SQLException e) {
        return false;
    }

    /**
     * 1040 (max_connections), 1203 (max_user_connections), 1226 (an account's MAX_USER_CONNECTIONS): "MariaDB Error
     * Codes". Connector/J may wrap the server's refusal, so the causes are read too.
     */
    @Override
    public boolean isTooManyConnections(SQLException e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof SQLException s && (s.getErrorCode() == 1040 || s.getErrorCode() == 1203 || s.getErrorCode() == 1226)) {
                return true;
            }
        }
        return false;
    }

    @Override
    public boolean isConnectionLost(SQLException e) {
        String state = e.getSQLState();
        int code = e.getErrorCode();
        return e instanceof SQLNonTransientConnectionException || e instanceof SQLTransientConnectionException
                || (state != null && state.startsWith("08")) || code == SERVER_GONE || code == LOST_CONNECTION
                || code == CONNECTION_KILLED || code == SERVER_SHUTDOWN || code == MYSQL_CLIENT_INTERACTION_TIMEOUT;
    }

    /** 1146 no such table, 1049 unknown database, 1051 unknown table (DROP), 1091 no such column or key, 1008, 1360. */
    @Override
    public boolean isUndefinedObject(SQLException e) {
        return Set.of(NO_SUCH_TABLE, UNKNOWN_DATABASE, UNKNOWN_TABLE, CANT_DROP_FIELD_OR_KEY, DROP_DATABASE_MISSING,
                NO_SUCH_TRIGGER).contains(e.getErrorCode());
    }

    /** {@code GET_LOCK(key, 0)}; a key longer than MySQL's 64 characters is shortened with a digest. */
    @Override
    public boolean tryMigrationLock(Connection c, String key) throws SQLException {
        return MariaDbLocks.tryLock(c, key);
    }

    @Override
    public void releaseMigrationLock(Connection c, String key) throws SQLException {
        MariaDbLocks.release(c, key);
    }

    /** The holder's connection id is in its description ({@link MariaDbLocks#holders}). */
    @Override
    public String endSessionAdvice() {
        return "end that session sooner with KILL CONNECTION and its connection id";
    }

    @Override
    public List<LockHolder> migrationLockHolders(Connection c, String key) throws SQLException {
        return MariaDbLocks.holders(c, key);
    }

    @Override
    public long sessionId(Connection c) throws SQLException {
        return MariaDbLocks.sessionId(c);
    }

    @Override
    public void checkType(Connection c, String type) throws SQLException {
        types.canonical(c, type);
    }

    /** As {@code COLUMN_TYPE} prints it ({@code int(11)} on MariaDB); see {@link MariaDbTypes#canonical}. */
    @Override
    public String canonicalType(Connection c, String type) throws SQLException {
        return types.canonical(c, type);
    }

    /** On an empty temporary copy of the table, in one statement that commits nothing: see {@link MariaDbIndexCheck}. */
    @Override
    public void checkIndex(Connection c, String schema, String table, Map<String, String> addedColumns,
                           Catalog.IndexShape shape, boolean unique) throws SQLException {
        MariaDbIndexCheck.check(c, schema, table, addedColumns, shape, unique);
    }

    /**
     * By MariaDB's lexical rules ({@link MariaDbExpressionText}): backslash escapes, {@code #} comments, executable
     * comments, which PostgreSQL's rules (the migration reader's) do not know.
     */
    @Override
    public String expressionTextProblem(String expression) {
        return MariaDbExpressionText.problem(expression);
    }

    /**
     * Refuses text that would not stay one expression by MariaDB's lexical rules ({@link MariaDbExpressionText}), then
     * runs it once over a temporary row of NULLs under strict sql_mode ({@link MariaDbExpressionCheck}, which says what
     * that proves and what it cannot). Unqualified names resolve in the connection's default database.
     */
    @Override
    public void checkExpression(Connection c, String expression, Map<String, String> rowTypes, String targetType)
            throws SQLException {
        MariaDbExpressionCheck.check(c, expression, rowTypes, targetType);
    }

    @Override
    public void checkExpressionOnRows(Connection c, String schema, String table, List<Ddl.ViewColumn> row, List<String> orderBy,
                                      String expression, String targetType, long offset, long limit) throws SQLException {
        MariaDbExpressionCheck.checkRows(c, schema, table, row, orderBy, expression, targetType, offset, limit);
    }

    /** Compared as the server stores the name: exactly, unless lower_case_table_names folds names. */
    @Override
    public boolean schemaExists(Connection c, String schema) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("SELECT SCHEMA_NAME, @@lower_case_table_names"
                + " FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = ?")) {
            ps.setString(1, schema);
            try (ResultSet rs = ps.executeQuery()) {
                // information_schema compares names without regard to case; the server does not (on Linux).
                while (rs.next()) {
                    if (rs.getString(1).equals(schema) || rs.getInt(2) != 0) return true;
                }
                return false;
            }
        }
    }

    /** The connection's default database ({@code DATABASE()}): the application's, as its URL names it. */
    @Override
    public String defaultSchema(Connection c) throws SQLException {
        try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery("SELECT DATABASE()")) {
            rs.next();
            String database = rs.getString(1);
            if (database == null) {
                throw new SQLException("the connection has no default database: name the application's database in"
                        + " the URL (jdbc:mariadb://HOST:PORT/DATABASE) or give the schema", "3D000");
            }
            return database;
        }
    }

    /**
     * A MariaDB session has one default database, not a path: the first of {@code schemas} becomes it
     * ({@code USE}, through the driver so that it knows, and a pool that resets the database on return sees it).
     * Names of other databases resolve only qualified; a version database's views are all the version needs.
     */
    @Override
    public void setSearchPath(Connection c, List<String> schemas) throws SQLException {
        c.setCatalog(first(schemas));
    }

    private static String first(List<String> schemas) {
        if (schemas.isEmpty()) throw new IllegalArgumentException("no database to use");
        return schemas.get(0);
    }

    /** The database to put in the URL's path ({@code jdbc:mariadb://HOST:PORT/<this>}): the first of the list. */
    @Override
    public String searchPathValue(List<String> schemas) {
        return first(schemas);
    }

    @Override
    public String setSearchPathStatement(List<String> schemas) {
        return "USE " + quote(first(schemas));
    }

    /**
     * MariaDB has no application_name: the name goes into the user variable {@code @tandem_session}, which the
     * Performance Schema shows other sessions where it is on ({@link MariaDbSessions}). An application instance's name,
     * {@code tandem:<version>:<instance>}, also sets {@code @tandem_version = '<version>'}: how the sync triggers
     * tell which version wrote a row (docs/DESIGN.md, "Writer identity"). Tandem's own sessions leave it as it is, and
     * are marked as Tandem's in a way every other session can read ({@link MariaDbSessions#markAsTandem}): the contract
     * guard counts every other session in the managed database as an application's.
     */
    @Override
    public void setApplicationName(Connection c, String name) throws SQLException {
        String version = instanceVersion(name);
        try (PreparedStatement ps = c.prepareStatement(version == null ? "SET @" + MariaDbSessions.NAME_VARIABLE + " = ?"
                : "SET @" + MariaDbSessions.NAME_VARIABLE + " = ?, @tandem_version = ?")) {
            ps.setString(1, name);
            if (version != null) ps.setString(2, version);
            ps.execute();
        }
        if (Names.isTool(name)) MariaDbSessions.markAsTandem(c);
        else if (version != null) MariaDbSessions.markAsVersion(c, version);
    }

    @Override
    public void markInstanceSession(Connection c, String version) throws SQLException {
        MariaDbSessions.markAsVersion(c, version);
    }

    /** The version of an application instance's name {@code tandem:<version>:<instance>}; null for other names. */
    static String instanceVersion(String name) {
        if (name == null || !name.startsWith("tandem:")) return null;
        int end = name.indexOf(':', "tandem:".length());
        return end > "tandem:".length() ? name.substring("tandem:".length(), end) : null;
    }

    @Override
    public List<String> highestKey(Connection c, String schema, String table, List<String> keys) throws SQLException {
        MariaDbKeys key = MariaDbKeys.of(this, c, schema, table, keys);
        try (PreparedStatement ps = c.prepareStatement("SELECT " + key.selectList() + " FROM " + qualify(schema, table)
                + " ORDER BY " + key.order("DESC") + " LIMIT 1");
             ResultSet rs = ps.executeQuery()) {
            return rs.next() ? key.read(rs, 1) : null;
        }
    }

    /**
     * InnoDB's estimate ({@code information_schema.TABLES.TABLE_ROWS}, from sampled statistics, off by up to half);
     * a table without one (0 right after a bulk load) is counted up to a bound, as on PostgreSQL.
     */
    @Override
    public long estimateRows(Connection c, String schema, String table) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("SELECT TABLE_ROWS FROM information_schema.TABLES"
                + " WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ?")) {
            ps.setString(1, schema);
            ps.setString(2, table);
            try (ResultSet rs = ps.executeQuery()) {
                if (rs.next() && rs.getLong(1) > 0) return rs.getLong(1);
            }
        }
        try (PreparedStatement ps = c.prepareStatement("SELECT COUNT(*) FROM (SELECT 1 FROM " + qualify(schema, table)
                + " LIMIT " + COUNT_BOUND + ") AS " + quote("_tandem_rows"));
             ResultSet rs = ps.executeQuery()) {
            rs.next();
            return rs.getLong(1);
        }
    }

    private static final long COUNT_BOUND = 1_000_000;

    /** Never: MariaDB cannot leave triggers unfired for one transaction (no session_replication_role). */
    @Override
    public boolean backfillMaySkipTriggers(Connection c, String schema, Plan.BackfillTask task, String syncTrigger) {
        return false;
    }

    /** Each {@code ON UPDATE CURRENT_TIMESTAMP} column assigned to itself ({@link MariaDbBackfill#asWritten}). */
    @Override
    public Plan.BackfillTask backfillAsWritten(Connection c, String schema, Plan.BackfillTask task) throws SQLException {
        return new MariaDbBackfill(this).asWritten(c, schema, task);
    }

    @Override
    public List<String> backfillRangeEnd(Connection c, String schema, Plan.BackfillTask task, List<String> after,
                                         List<String> upTo, int size) throws SQLException {
        return new MariaDbBackfill(this).rangeEnd(c, schema, task, after, upTo, size);
    }

    @Override
    public long backfillRange(Connection c, String schema, Plan.BackfillTask task, List<String> after, List<String> to,
                              boolean skipTriggers) throws SQLException {
        // skipTriggers is never true here: backfillMaySkipTriggers is false on MariaDB.
        return new MariaDbBackfill(this).fillRange(c, schema, task, after, to);
    }

    /** Null: InnoDB tables are clustered on their primary key, so the key walk is the physical walk. */
    @Override
    public Pages pagesToWalk(Connection c, String schema, String table) {
        return null;
    }

    @Override
    public PageBatch backfillPages(Connection c, String schema, Plan.BackfillTask task, long from, long to,
                                   String storage, boolean skipTriggers) {
        throw new UnsupportedOperationException("MariaDB and MySQL are walked by key only (pagesToWalk is null)");
    }

    /** A heartbeat row in the state database, written on the primary and read on each replica ({@link ReplicationHeartbeat}). */
    @Override
    public ReplicaLagMeter replicaLagMeter(String stateSchema, String schema) {
        return new ReplicationHeartbeat(this, stateSchema, schema);
    }

    /**
     * Zero: a MariaDB or MySQL primary does not know how far its replicas have applied what it sent (only semi-sync
     * acknowledgements, and only of receipt). The backfill watches replicas when they are given to it.
     */
    @Override
    public Duration replicationLagSeenByPrimary(Connection primary) {
        return Duration.ZERO;
    }

    /**
     * Sessions running a statement ({@code Query}, {@code Execute}) in the process list, other than this one and the
     * server's own threads, and other than Tandem's where their names can be read ({@link MariaDbSessions}). Without
     * the PROCESS privilege only the login's own sessions show.
     */
    @Override
    public int otherActiveSessions(Connection c, String toolApplicationName) throws SQLException {
        int active = 0;
        for (MariaDbSessions.Session s : MariaDbSessions.visible(c)) {
            if (!("Query".equals(s.command()) || "Execute".equals(s.command()))) continue;
            if ("system user".equals(s.user()) || "event_scheduler".equals(s.user())) continue;
            if (s.name() != null && (s.name().equals(toolApplicationName) || s.name().startsWith(toolApplicationName + " "))) {
                continue;
            }
            active++;
        }
        return active;
    }

    @Override
    public VerifyChunk verifyChunk(Connection c, String schema, String table, List<String> keyColumns,
                                   List<String> keyTypes, List<String> after, int size, List<String> predicates)
            throws SQLException {
        return MariaDbVerify.chunk(this, c, schema, table, new MariaDbKeys(this, keyColumns, keyTypes), after, size,
                predicates);
    }

    /** The clause of {@code CHECK (<clause>)}, as {@link MariaDbCatalogReader} writes a CHECK's definition. */
    @Override
    public String checkExpression(String constraintDefinition) {
        return MariaDbConstraints.checkExpression(constraintDefinition);
    }

    /**
     * What MariaDB would refuse to drop, and what the drop would silently break (views, triggers, routines and events
     * that use it, found in their text): see {@link MariaDbDropBlockers}.
     */
    @Override
    public List<String> dropBlockers(Connection c, String schema, Plan.Dropped dropped, Collection<String> ownSchemas)
            throws SQLException {
        return MariaDbDropBlockers.of(c, schema, dropped, ownSchemas, flavor);
    }

    /** See {@link MariaDbVersionDatabaseBlockers}. */
    @Override
    public List<String> versionSchemaBlockers(Connection c, String versionSchema) throws SQLException {
        return MariaDbVersionDatabaseBlockers.of(c, versionSchema);
    }

    /**
     * The server's message, without the driver's {@code (conn=123)} prefix, with its error number, which the
     * MariaDB manual's "MariaDB Error Codes" explains.
     */
    @Override
    public String describeError(SQLException e) {
        String message = e.getMessage() == null ? e.toString() : e.getMessage().replaceFirst("^\\(conn=\\d+\\)\\s*", "");
        return e.getErrorCode() > 0 && !message.contains(String.valueOf(e.getErrorCode()))
                ? message + " (error " + e.getErrorCode() + ")" : message;
    }

    /** See {@link MariaDbLocks#held}; {@code before} is not needed, as metadata locks are held by name. */
    @Override
    public List<TableLock> relationLocksHeld(Connection c, RelationNames before) throws SQLException {
        return MariaDbLocks.held(c, flavor);
    }

    /** Empty: metadata locks name their table as it was named when taken, so nothing needs renaming back. */
    @Override
    public RelationNames relationNames(Connection c) {
        return new RelationNames(Map.of());
    }

    /**
     * Counts the rows for which {@code condition} is false (not NULL, as a CHECK passes on NULL); samples are the
     * rows' values, as {@code (v1,v2,...)} with NULL empty, as PostgreSQL prints a row.
     */
    @Override
    public Violations violations(Connection c, String schema, String relation, String condition, int samples)
            throws SQLException {
        String from = " FROM " + qualify(schema, relation) + " AS " + quote("_tandem_row") + " WHERE NOT (" + condition + ")";
        long rows;
        try (PreparedStatement ps = c.prepareStatement("SELECT COUNT(*)" + from); ResultSet rs = ps.executeQuery()) {
            rs.next();
            rows = rs.getLong(1);
        }
        List<String> found = new ArrayList<>();
        if (rows > 0) {
            try (PreparedStatement ps = c.prepareStatement("SELECT *" + from + " LIMIT " + samples);
                 ResultSet rs = ps.executeQuery()) {
                ResultSetMetaData meta = rs.getMetaData();
                while (rs.next()) {
                    List<String> values = new ArrayList<>();
                    for (int i = 1; i <= meta.getColumnCount(); i++) {
                        String v = rs.getString(i);
                        values.add(v == null ? "" : v);
                    }
                    found.add("(" + String.join(",", values) + ")");
                }
            }
        }
        return new Violations(rows, found);
    }

    /** Null: MariaDB and MySQL have no row-level security, so there is none for views to lose. */
    @Override
    public String viewsCannotKeepRowSecurity(Catalog catalog) {
        return null;
    }

    private final MariaDbDdl ddl;

    @Override
    public Ddl ddl() {
        return ddl;
    }

    /**
     * Read from the version database's own views, which Tandem made as {@code SELECT `db`.`t`.`physical` AS `name`, ...
     * FROM `db`.`t`} (information_schema.VIEWS.VIEW_DEFINITION prints them so).
     */
    @Override
    public dev.tandem.catalog.VersionNames versionNames(Connection c, String versionSchema) throws SQLException {
        if (versionSchema == null) return dev.tandem.catalog.VersionNames.NONE;
        return MariaDbVersionViews.read(c, versionSchema);
    }

    /** See {@link MariaDbServerCheck}: version, binary log, privileges, tables, Galera. */
    /**
     * A login's sessions are the new version's when they set no {@code @tandem_version}: the sync triggers compare
     * {@code SUBSTRING_INDEX(USER(), '@', 1)}, the user name the client logged in with, so a name may not hold
     * {@code @} (nor be empty, nor longer than the server's 80 characters).
     */
    @Override
    public String newVersionLoginsRefused(List<String> logins, String versionSchema) {
        for (String login : logins) {
            if (login == null || login.isEmpty() || login.contains("@") || login.length() > 80) {
                return "the new version's login " + (login == null ? "null" : "'" + login + "'") + " is not a user name"
                        + " Tandem can tell sessions by: give the user name alone (1 to 80 characters, no @, no host),"
                        + " as in --new-version-login app_v2";
            }
        }
        return null;
    }

    @Override
    public ServerReport checkServer(Connection c, ServerNeeds needs) throws SQLException {
        return MariaDbServerCheck.check(c, needs);
    }

    /** See {@link MariaDbApplicationLogins}: database grants do not reach a version database. */
    @Override
    public List<String> versionSchemaAccess(Connection c, String schema, String versionSchema) throws SQLException {
        boolean ignoreCase;
        try (java.sql.Statement st = c.createStatement(); ResultSet rs = st.executeQuery("SELECT @@lower_case_table_names")) {
            rs.next();
            ignoreCase = rs.getInt(1) != 0;
        }
        return MariaDbApplicationLogins.withoutVersionDatabase(c, schema, versionSchema, ignoreCase);
    }

    @Override
    public StateStore stateStore(String stateSchema, String schema) {
        return new MariaDbStateStore(this, stateSchema, schema);
    }

    @Override
    public String toString() {
        return flavor.name().toLowerCase(Locale.ROOT);
    }

    @Override
    public dev.tandem.migration.ColumnReferences.Syntax expressionSyntax() {
        return dev.tandem.migration.ColumnReferences.Syntax.MARIADB;
    }

    /**
     * The version database as the URL's database, and {@code @tandem_version} set by the driver on each connection
     * ({@code sessionVariables}, MariaDB Connector/J and MySQL Connector/J; the quotes are needed); the tables before
     * any migration need neither. A pool that resets sessions loses the variable: its init SQL (one statement, with the version database in
     * the URL) sets it again.
     */
    @Override
    public VersionSettings versionSettings(String versionSchema, String schema, String version, String instanceName) {
        // As written, not percent-encoded: the driver takes the parameter's value as it stands (measured: an encoded
        // one fails the connection, "Initialization command fail").
        String params = version == null ? "" : "sessionVariables=@tandem_version=" + literal(version);
        // One statement: pools run connectionInitSql as a single statement, and without allowMultiQueries in the
        // application's URL two would fail the connection (a newcomer's HikariCP did). The URL above names the database.
        String init = version == null ? setSearchPathStatement(List.of(versionSchema))
                : "SET @tandem_version = " + literal(version);
        return new VersionSettings(versionSchema, params, List.of("sessionVariables"), init,
                "its connection's database, and the session variable @tandem_version (Tandem sees its instances by"
                        + " TandemDataSource's heartbeat and by the connections to the version database)",
                flavor == Flavor.MARIADB ? "MariaDB Connector/J" : "MySQL Connector/J", null);
    }
}
