package dev.tandem.dialect;

import dev.tandem.catalog.Catalog;
import dev.tandem.engine.Step;

import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.util.List;

/**
 * Everything that differs between databases: quoting, DDL text and the lock each statement takes, trigger
 * bodies, catalog inspection, session settings and the migration lock. The engine speaks only through this.
 */
public interface Dialect {

    /** Quotes an identifier so that any name (quotes, spaces, capitals, reserved words) is taken literally. */
    String quote(String identifier);

    default String qualify(String schema, String name) {
        return quote(schema) + "." + quote(name);
    }

    /** A string literal, escaped. */
    String literal(String value);

    default String quoteAll(List<String> identifiers) {
        return String.join(", ", identifiers.stream().map(this::quote).toList());
    }

    /** The longest identifier the database keeps without truncating it. */
    int maxIdentifierBytes();

    Catalog readCatalog(Connection connection, String schema) throws SQLException;

    /** Sets the per-session lock and statement timeouts that keep a waiting DDL from queueing the application. */
    void setTimeouts(Connection connection, Duration lockTimeout, Duration statementTimeout) throws SQLException;

    /**
     * The longest pause between two attempts of a DDL step that could not get its lock: 5 s by default, so that a
     * waiting statement, which queues the application behind it while it waits, does not come back too often. Where
     * a long step takes its lock without waiting or fails ({@code longStep}: NOWAIT on MariaDB), an attempt queues no
     * one, and only frequent attempts find a busy table free between two statements (research note: NOWAIT retried
     * every 250 ms stalled readers 9 ms at worst).
     */
    default Duration longestRetryPause(boolean longStep) {
        return Duration.ofSeconds(5);
    }

    /**
     * The timeouts of {@link #setTimeouts} for one of the executor's DDL steps: its lock waits end after {@code
     * lockTimeout} (ZERO: the step may wait, as a long step taking a weak lock does). Where the server cannot bound a
     * lock wait below a second (MariaDB and MySQL take {@code lock_wait_timeout} in whole seconds), the whole statement
     * is bounded by it instead, which a catalog-only statement never comes near.
     */
    default void setDdlTimeouts(Connection connection, Duration lockTimeout, Duration statementTimeout) throws SQLException {
        setTimeouts(connection, lockTimeout, statementTimeout);
    }

    /**
     * Whether the first attempts of a catalog-only step (and its attempts while long transactions are open) should
     * only probe for its lock ({@link #setLockProbe}) rather than wait the lock timeout: where a waiting DDL request
     * deadlocks the application. On MariaDB a transaction that read a table and then writes it needs a stronger
     * metadata lock, which queues behind a pending exclusive request, and the server ends the transaction (1213), not
     * the DDL; the transaction's write comes within a millisecond of its read, so even a wait of a few milliseconds is
     * too long. False by default: where a waiting DDL request causes no such deadlock (PostgreSQL), or where the
     * server cannot refuse a lock at once on every statement (MySQL). docs/DESIGN.md, "DDL and lock waits on MariaDB".
     */
    default boolean hasLockProbe() {
        return false;
    }

    /** Opens another connection of the same login (the caller closes it). */
    @FunctionalInterface
    interface Connections {
        Connection open() throws SQLException;
    }

    /**
     * Whether an in-place step (one that works for a while and takes its table's exclusive metadata lock at its start
     * and its end: MariaDB's NOCOPY and INPLACE ALTERs, written with NOWAIT) can also be run so that it waits for that
     * lock a bounded time ({@link #executeWaitingForLock}). The executor then probes first and waits now and then, as
     * for a catalog-only step: NOWAIT alone never gets the lock of a table whose writers never pause. False by default
     * (PostgreSQL's long steps take a weak lock and wait as long as they need). docs/DESIGN.md, "DDL and lock waits on
     * MariaDB".
     */
    default boolean hasBoundedInPlaceWait() {
        return false;
    }

    /**
     * Runs {@code sql}, an in-place step's statement, so that it waits for its table's metadata lock at most
     * {@code lockTimeout} (to the millisecond, give or take a poll of 10 ms) at its start and its end, while its work
     * is not bounded. A statement that waited longer is ended and fails with an exception {@link #isRetryable} accepts
     * (on MariaDB 1205, saying it was ended after the lock timeout). {@code others} opens the second connection that
     * watches it.
     *
     * @throws UnsupportedOperationException where {@link #hasBoundedInPlaceWait} is false
     */
    default void executeWaitingForLock(Connection connection, String sql, Duration lockTimeout, Connections others)
            throws SQLException {
        throw new UnsupportedOperationException("no bounded in-place lock wait on this database");
    }

    /**
     * After {@link #setDdlTimeouts}, makes the session's next statements take their metadata lock at once or fail
     * (retryable) without queueing, until {@link #setDdlTimeouts} is called again.
     *
     * @throws UnsupportedOperationException where {@link #hasLockProbe} is false
     */
    default void setLockProbe(Connection connection) throws SQLException {
        throw new UnsupportedOperationException("no lock probe on this database");
    }

    /** The same timeouts for the open transaction only, on a connection that is not Tandem's own (an application's pool). */
    void setTransactionTimeouts(Connection connection, Duration lockTimeout, Duration statementTimeout) throws SQLException;

    /**
     * Puts back the timeouts {@link #setTransactionTimeouts} replaced, once the transaction has ended, where the
     * database cannot scope a setting to a transaction (MariaDB, MySQL): the connection goes back to the application's
     * pool as it came. Nothing to do where the transaction's end already did it (PostgreSQL).
     */
    default void endTransactionTimeouts(Connection connection) throws SQLException {
    }

    /**
     * A transaction of another session that has been open for a while, as the server shows it: the connection it runs
     * on, the login and client host of that connection, how long the transaction has been open, and the statement
     * that ends the connection (where the application cannot simply commit).
     */
    record OpenTransaction(long connection, String user, String host, Duration open, String endIt) {
    }

    /**
     * The other sessions' transactions open for longer than {@code olderThan} that may hold the metadata lock of a table
     * an in-place step (an index build, a rebuild) must take exclusively, for a moment at its start and its end: while
     * one holds it, the step cannot start, and a step that waited for it would hold up every later reader and writer of
     * the table. Asked after such a step failed to get its lock, so that the step waits for them by name instead of
     * retrying blindly (docs/DESIGN.md, "Long transactions"). Empty by default: where long steps take a lock that
     * writers do not wait behind (PostgreSQL: CREATE INDEX CONCURRENTLY and VALIDATE CONSTRAINT take SHARE UPDATE
     * EXCLUSIVE), and where this login may not see other sessions' transactions.
     *
     * @param olderThan how long a transaction must have been open to count (the step's lock timeout: shorter ones come
     *                  and go between two attempts)
     */
    default List<OpenTransaction> longTransactions(Connection connection, Duration olderThan) throws SQLException {
        return List.of();
    }

    /** True for errors that mean "could not get the lock in time" or "chosen as deadlock victim": retry later. */
    boolean isRetryable(SQLException e);

    /** True for errors that mean the statement cannot run inside a transaction block (CREATE INDEX CONCURRENTLY, ...). */
    boolean cannotRunInTransaction(SQLException e);

    /** True for errors that mean the connection is gone. */
    boolean isConnectionLost(SQLException e);

    /**
     * True when the server refused a new connection because it or the login has as many as it allows (PostgreSQL
     * SQLSTATE 53300; MariaDB and MySQL errors 1040, 1203, 1226).
     */
    boolean isTooManyConnections(SQLException e);

    /** True for errors that mean a table or schema named in the statement does not exist. */
    boolean isUndefinedObject(SQLException e);

    /** Takes the database-wide migration lock for this session without waiting; false if someone else has it. */
    boolean tryMigrationLock(Connection connection, String key) throws SQLException;

    void releaseMigrationLock(Connection connection, String key) throws SQLException;

    /** Validates that {@code type} is a type the database knows; throws with the database's reason otherwise. */
    void checkType(Connection connection, String type) throws SQLException;

    /** Normalises a type as the catalog prints it (e.g. {@code int} → {@code integer}). */
    String canonicalType(Connection connection, String type) throws SQLException;

    /**
     * Checks that an index of {@code shape} can be built on {@code table} once {@code addedColumns} (name → type) are
     * added to it: on an empty copy of the table, so nothing of the table is locked but for reading its definition.
     * Call inside a transaction that is rolled back afterwards.
     */
    void checkIndex(Connection connection, String schema, String table, java.util.Map<String, String> addedColumns,
                    dev.tandem.catalog.Catalog.IndexShape shape, boolean unique) throws SQLException;

    /**
     * Checks that {@code expression}, evaluated over a row with the given column names and types, yields a value
     * that can be stored in a column of {@code targetType}, without running it on any data. Call inside a
     * transaction that is rolled back afterwards.
     */
    void checkExpression(Connection connection, String expression, java.util.Map<String, String> rowTypes,
                         String targetType) throws SQLException;

    /**
     * Evaluates {@code expression} over rows {@code offset} to {@code offset + limit - 1} of {@code table} in the
     * order of {@code orderBy}, each row seen as {@code row} names it (a physical column under the name the expression
     * uses), and stores each value in a temporary column of {@code targetType} under the rules the sync trigger and the
     * backfill write by (MariaDB: the session's sql_mode with strict mode added). Changes nothing and takes no lock that
     * blocks a writer of the table: call it on a connection of its own, in autocommit off, before its first statement;
     * the caller rolls back.
     *
     * @throws SQLException with the server's reason when a value of one of those rows does not evaluate or fit
     */
    void checkExpressionOnRows(Connection connection, String schema, String table, List<dev.tandem.dialect.Ddl.ViewColumn> row,
                               List<String> orderBy, String expression, String targetType, long offset, long limit)
            throws SQLException;

    /**
     * Why the text of an expression field cannot be written into this database's statements as one expression (it
     * would end or leave the parentheses Tandem writes it into, by this database's lexical rules), or null when it
     * can. PostgreSQL's rules ({@link dev.tandem.migration.SqlExpressionText}), which the migration reader applies to
     * every file, unless the database reads text otherwise.
     */
    default String expressionTextProblem(String expression) {
        return dev.tandem.migration.SqlExpressionText.problem(expression);
    }

    /** The sessions holding the migration lock, for the messages of the one that waits for it. */
    java.util.List<LockHolder> migrationLockHolders(Connection connection, String key) throws SQLException;

    /**
     * How to end another session sooner than the server notices it is gone, in this database's words, for the message
     * of a command refused the migration lock (e.g. {@code pg_terminate_backend} on PostgreSQL).
     */
    String endSessionAdvice();

    /**
     * A session holding the migration lock: the server's id of it ({@link #sessionId}), its application_name (null if
     * none can be read), client address, and since when (null if unknown).
     */
    record LockHolder(long sessionId, String applicationName, String client, java.time.Instant since) {
        /** This holder named as the Tandem command that recorded it took the lock ({@link dev.tandem.state.StateStore#lockHolder}). */
        public LockHolder namedBy(String command, java.time.Instant taken) {
            return new LockHolder(sessionId, command, client, since != null ? since : taken);
        }
    }

    /**
     * The server's id of this connection's session, as {@link #migrationLockHolders} reports a holder's: the backend
     * pid on PostgreSQL, {@code CONNECTION_ID()} on MariaDB and MySQL (what {@code IS_USED_LOCK} returns).
     */
    long sessionId(Connection connection) throws SQLException;

    boolean schemaExists(Connection connection, String schema) throws SQLException;

    /**
     * The schema the migrations change when none is named: {@code public} on PostgreSQL, the connection's database
     * on MariaDB and MySQL.
     *
     * @throws SQLException when the connection has none to offer (a MariaDB URL without a database)
     */
    String defaultSchema(Connection connection) throws SQLException;

    /** Makes unqualified names resolve in these schemas, in this order, for the rest of the session. */
    void setSearchPath(Connection connection, java.util.List<String> schemas) throws SQLException;

    /**
     * The search path setting's value for these schemas, as a connection URL or a startup option passes it: names
     * quoted where the setting would otherwise change them (e.g. fold their case).
     */
    String searchPathValue(java.util.List<String> schemas);

    /** A statement doing what {@link #setSearchPath} does, for pools that run SQL on each new connection. */
    String setSearchPathStatement(java.util.List<String> schemas);

    /**
     * How an application of a version connects by its settings alone, as {@code status} tells it: what its JDBC URL
     * says, what a pool runs on each new connection, and in a few words how the version is told.
     *
     * @param database       the database (MariaDB: the version database) the URL's path names, or null to keep the
     *                       URL's own
     * @param urlParameters  URL parameters to add, already encoded ({@code name=value&...}); names in
     *                       {@code replacedParameters} are taken out of the URL first
     * @param initSql        statements a pool runs on each new connection (HikariCP's connectionInitSql)
     * @param how            how the version is selected and named, for people
     * @param driver         the driver these parameters are for
     * @param nameSetting    the connection setting that names an instance, or null where none is read
     */
    record VersionSettings(String database, String urlParameters, List<String> replacedParameters, String initSql,
                           String how, String driver, String nameSetting) {
    }

    /**
     * @param versionSchema the version's schema (or the managed schema itself, for the tables before any migration)
     * @param version       the version's migration name, or null for the tables before any migration
     * @param instanceName  the name an instance of it connects with ({@code tandem:<version>:<instance>}), or null
     */
    VersionSettings versionSettings(String versionSchema, String schema, String version, String instanceName);

    /**
     * Checks that one of Tandem's own connections can run what Tandem sends it; nothing to check by default.
     *
     * @throws dev.tandem.TandemException (INVALID_INPUT) saying what to change in the connection's settings
     */
    default void checkToolSession(Connection connection) throws SQLException {
    }

    /** Marks the session with a name that monitoring (and Tandem's own status) shows. */
    void setApplicationName(Connection connection, String name) throws SQLException;

    /**
     * One backfill batch: rows walked (for the last batch, which finds no end key, the rows it filled), the last key
     * it covered, and whether it reached the end of the table.
     */
    record BatchResult(long walked, java.util.List<String> lastKey, boolean last) {
    }

    /** The highest key of a table, as text, or null when it is empty: where a backfill stops. */
    java.util.List<String> highestKey(Connection connection, String schema, String table, java.util.List<String> keys)
            throws SQLException;

    /** How many rows a table has, for progress: the planner's estimate, counted only if there is none yet. */
    long estimateRows(Connection connection, String schema, String table) throws SQLException;

    /**
     * The task as this run's batches write it, asked once per table when its walk starts (and again after a
     * reconnect), so that no batch reads the catalog: by default the task itself. A dialect adds the assignments that
     * keep what the server would otherwise change in every row the backfill writes (MariaDB and MySQL: each
     * {@code ON UPDATE CURRENT_TIMESTAMP} column assigned to itself). Found at run time, not in the plan, so that
     * plans stored by an older Tandem are kept as well.
     */
    default dev.tandem.engine.Plan.BackfillTask backfillAsWritten(Connection connection, String schema,
                                                                 dev.tandem.engine.Plan.BackfillTask task) throws SQLException {
        return task;
    }

    /**
     * Whether the backfill's own writes may leave the table's row triggers unfired, so that a batch costs what a plain
     * UPDATE costs. Only when Tandem's sync trigger ({@code syncTrigger}) is the one trigger that could react to them
     * (no user trigger, no rule, no foreign key on a column the backfill writes) and the role is allowed to.
     */
    boolean backfillMaySkipTriggers(Connection connection, String schema, dev.tandem.engine.Plan.BackfillTask task,
                                    String syncTrigger) throws SQLException;

    /**
     * Fills up to {@code size} rows with keys after {@code after} (null: from the start) and up to {@code upTo}, in
     * the connection's open transaction; with {@code skipTriggers} (see {@link #backfillMaySkipTriggers}) for that
     * transaction only. Two statements, both walking the key index: {@link #backfillRangeEnd}, then
     * {@link #backfillRange} (a range update; joining the batch's keys back to the table ran at half the speed of a
     * plain UPDATE on PostgreSQL).
     */
    default BatchResult backfillBatch(Connection connection, String schema, dev.tandem.engine.Plan.BackfillTask task,
                                      java.util.List<String> after, java.util.List<String> upTo, int size,
                                      boolean skipTriggers) throws SQLException {
        java.util.List<String> high = backfillRangeEnd(connection, schema, task, after, upTo, size);
        boolean last = high == null;
        java.util.List<String> to = last ? upTo : high;
        long updated = backfillRange(connection, schema, task, after, to, skipTriggers);
        return new BatchResult(last ? updated : size, to, last);
    }

    /**
     * The key {@code size} rows past {@code after} (null: from the start), not past {@code upTo}; null when fewer rows
     * are left. An index-only read.
     */
    java.util.List<String> backfillRangeEnd(Connection connection, String schema, dev.tandem.engine.Plan.BackfillTask task,
                                            java.util.List<String> after, java.util.List<String> upTo, int size)
            throws SQLException;

    /**
     * Fills the rows not yet done with keys after {@code after} (null: from the start) and up to {@code to}, in the
     * connection's open transaction: re-checked on the newest row version under READ COMMITTED, so a row a writer
     * touched meanwhile is left alone. {@code skipTriggers} as for {@link #backfillBatch}. @return the rows updated
     */
    long backfillRange(Connection connection, String schema, dev.tandem.engine.Plan.BackfillTask task,
                       java.util.List<String> after, java.util.List<String> to, boolean skipTriggers) throws SQLException;

    /**
     * The pages a backfill may walk instead of the key: the table's size in pages when the walk starts, what names
     * its storage (a rewrite, such as VACUUM FULL or CLUSTER, changes it), and about how many rows a page holds (to
     * size batches given in rows). Null when this server or table cannot be walked by page; then the backfill walks
     * the key.
     */
    record Pages(long end, String storage, double rowsPerPage) {
    }

    Pages pagesToWalk(Connection connection, String schema, String table) throws SQLException;

    /** One batch of a page walk: the rows it filled, and whether the table's storage was no longer the one walked. */
    record PageBatch(long filled, boolean rewritten) {
    }

    /**
     * Fills the rows on pages {@code from} to {@code to} (exclusive), in the connection's open transaction, and tells
     * whether the table's storage is still {@code storage}; {@code skipTriggers} as for {@link #backfillBatch}.
     */
    PageBatch backfillPages(Connection connection, String schema, dev.tandem.engine.Plan.BackfillTask task, long from,
                            long to, String storage, boolean skipTriggers) throws SQLException;

    /**
     * A meter of how far replicas are behind this database's primary, for one backfill run, read on each replica
     * with the login its URL names (README, "Backfill" and "MariaDB and MySQL"). On MariaDB and MySQL it writes a
     * heartbeat row in {@code stateSchema} on the primary, keyed by {@code schema}.
     */
    ReplicaLagMeter replicaLagMeter(String stateSchema, String schema);

    /**
     * How many other client sessions are running a statement right now, not counting Tandem's own (those named
     * {@code toolApplicationName}). Sessions of other roles count only where the role may see their state.
     */
    int otherActiveSessions(Connection connection, String toolApplicationName) throws SQLException;

    /** The largest replay lag the primary reports for its streaming replicas (zero when there are none). */
    Duration replicationLagSeenByPrimary(Connection primary) throws SQLException;

    /** One chunk of {@code verify}: rows walked, how many match each predicate, a few keys of each, the last key. */
    record VerifyChunk(long walked, java.util.List<String> lastKey, long[] counts, java.util.List<java.util.List<String>> samples) {
    }

    /**
     * Counts, in the next {@code size} rows after {@code after}, the rows matching each predicate (SQL over the
     * table's columns), read-only. Used to find rows not yet backfilled or breaking a constraint not yet validated.
     */
    VerifyChunk verifyChunk(Connection connection, String schema, String table, java.util.List<String> keyColumns,
                            java.util.List<String> keyTypes, java.util.List<String> after, int size,
                            java.util.List<String> predicates) throws SQLException;

    /** The boolean expression of a CHECK constraint as the catalog prints its definition, or null if it is none. */
    String checkExpression(String constraintDefinition);

    /**
     * The user's objects that would stop contract from dropping {@code dropped} without CASCADE (views, materialized
     * views, rules, policies, generated columns, functions, triggers, foreign keys of other tables), each named as the
     * database names it; empty when the drop can go ahead. Objects in {@code ownSchemas} and Tandem's own are skipped.
     */
    List<String> dropBlockers(Connection connection, String schema, dev.tandem.engine.Plan.Dropped dropped,
                              java.util.Collection<String> ownSchemas) throws SQLException;

    /**
     * What is not Tandem's in or on a version schema (any object in it but its views, any object elsewhere that
     * depends on one of its views): dropping the schema would take it along, so contract and rollback refuse.
     */
    List<String> versionSchemaBlockers(Connection connection, String versionSchema) throws SQLException;

    /**
     * The database's message for a user to read: what went wrong and its detail, without advice that would have Tandem
     * drop the user's objects (PostgreSQL's "Use DROP ... CASCADE" hint).
     */
    String describeError(SQLException e);

    /**
     * The tables and views this session holds locks on in its open transaction, each with the strongest lock mode
     * it holds; the database's own catalogs are left out.
     *
     * @throws LocksUnknown when this server does not show a session its own locks (then they are reported unknown)
     */
    List<dev.tandem.engine.TableLock> relationLocksHeld(Connection connection, RelationNames before) throws SQLException;

    /** The server cannot show which locks a session holds; the message says why, for the plan to show. */
    final class LocksUnknown extends SQLException {
        public LocksUnknown(String reason) {
            super(reason);
        }
    }

    /**
     * The tables and views as they are named now, to name the locks of a statement that drops or renames them by the
     * name they had when it started (see {@link #relationLocksHeld}).
     */
    RelationNames relationNames(Connection connection) throws SQLException;

    /** Relations by the database's id for them: schema and name. */
    record RelationNames(java.util.Map<Long, List<String>> byId) {
    }

    /** How many rows of a table or view break a condition, with a few of them as text. */
    record Violations(long rows, List<String> samples) {
    }

    /** Counts the rows of {@code schema.relation} for which {@code condition} (SQL over its columns) is false; read-only. */
    Violations violations(Connection connection, String schema, String relation, String condition, int samples)
            throws SQLException;

    /**
     * Null when a version schema's views can check privileges and row-level security as the querying role on the
     * server {@code catalog} was read from; otherwise why they cannot (then a table with row-level security is refused).
     */
    String viewsCannotKeepRowSecurity(Catalog catalog);

    /**
     * The names the views of {@code versionSchema} give the physical tables and columns, where they differ; {@link
     * dev.tandem.catalog.VersionNames#NONE} when the schema is null, or where contract renames every table and column
     * into place ({@link Ddl#contractRenames}): then the names are the physical ones.
     */
    dev.tandem.catalog.VersionNames versionNames(Connection connection, String versionSchema) throws SQLException;

    /**
     * What a migration asks of the server Tandem runs on, for {@link #checkServer}.
     *
     * @param plan        the migration's plan (its version schema, and the statements of every phase)
     * @param stateSchema where Tandem keeps its state
     * @param tables      the existing tables the migration changes (physical names; not those it only drops)
     * @param triggers    whether the plan creates sync triggers (and so contract and rollback drop them); at
     *                    contract and rollback the dialect also counts the migration's sync triggers that exist
     * @param command     the command about to change the database: what it needs of the server differs
     * @param seeSessions whether this command's guard must see every session (contract and rollback unless forced;
     *                    at plan and expand, so that they are not refused later)
     */
    record ServerNeeds(dev.tandem.engine.Plan plan, String stateSchema, List<String> tables, boolean triggers,
                       Command command, boolean seeSessions) {
        public ServerNeeds {
            tables = List.copyOf(tables);
        }

        /** What plan and expand need: the whole migration's. */
        public ServerNeeds(dev.tandem.engine.Plan plan, String stateSchema, List<String> tables, boolean triggers) {
            this(plan, stateSchema, tables, triggers, Command.EXPAND, true);
        }
    }

    /**
     * The commands that change the database, each checked before its first change (README, "MariaDB: what Tandem
     * needs from the server"). EXPAND is plan's and expand's check of the whole migration; PUBLISH creates the new
     * version's schema and views (at the end of expand or backfill); CONTRACT and ROLLBACK drop what expand made.
     */
    enum Command { EXPAND, PUBLISH, CONTRACT, ROLLBACK }

    /**
     * Something the server lacks for the migration: what is missing and why, and what to do about it (the statement a
     * DBA runs, where there is one).
     */
    record ServerProblem(String missing, String fix) {
    }

    /** Everything {@link #checkServer} found: what must be fixed before expand, and what plan should say. */
    record ServerReport(List<ServerProblem> problems, List<String> warnings) {
        public ServerReport {
            problems = List.copyOf(problems);
            warnings = List.copyOf(warnings);
        }
    }

    /**
     * Checks, reading only, that this server and this session's privileges let Tandem run the whole of {@code
     * needs.plan()} safely (README, "The privileges Tandem needs"): every problem at once, so that a DBA fixes them in
     * one go; and the warnings {@code plan} shows about how the migration will behave on this server. What each
     * dialect checks, and what it cannot, is in its implementation's documentation.
     *
     * @throws SQLException when the server cannot be read
     */
    ServerReport checkServer(Connection connection, ServerNeeds needs) throws SQLException;

    /**
     * What the operator is to be told, once {@code versionSchema} exists, about the logins that use {@code schema}
     * and cannot use the version schema: each with the statement that lets it (README, "MariaDB: what application
     * logins need"), or that this login could not check. Empty when there is nothing to say: PostgreSQL's version
     * schema is granted to every role that has privileges on the tables (the plan's publish step).
     *
     * @throws SQLException when the catalog cannot be read
     */
    default List<String> versionSchemaAccess(Connection connection, String schema, String versionSchema) throws SQLException {
        return List.of();
    }

    /**
     * Why the new version's sessions cannot be told by their login here, or why one of {@code logins} cannot be such
     * a login, with what to do instead; null when they can (README, "MariaDB", writer identity).
     *
     * @param logins        the logins whose sessions are to be the new version's, as the operator gave them
     * @param versionSchema the new version's schema, for advice
     */
    String newVersionLoginsRefused(List<String> logins, String versionSchema);

    /**
     * Marks a connection an application instance of {@code version} uses for Tandem's own errands (the heartbeat) as
     * that instance's, where {@link #setApplicationName} would change what the application sees; nothing where
     * sessions that are not named are not counted (PostgreSQL).
     */
    default void markInstanceSession(Connection connection, String version) throws SQLException {
    }

    /** How the database writes SQL expressions (quotes, comments), for rewriting the column names in them. */
    dev.tandem.migration.ColumnReferences.Syntax expressionSyntax();

    /** The DDL vocabulary the planner uses. */
    Ddl ddl();

    /**
     * Tandem's state for the migrations of {@code schema}, kept in {@code stateSchema} (a database of its own where
     * the database has no schemas inside a database).
     */
    dev.tandem.state.StateStore stateStore(String stateSchema, String schema);
}
