package dev.tandem.client;

import dev.tandem.dialect.Dialect;
import dev.tandem.dialect.Dialects;
import dev.tandem.engine.Names;
import dev.tandem.state.StateStore;

import javax.sql.DataSource;
import java.io.PrintWriter;
import java.lang.management.ManagementFactory;
import java.net.InetAddress;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.SQLFeatureNotSupportedException;
import java.time.Duration;
import java.util.UUID;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;
import java.util.logging.Logger;

/**
 * What an application embeds: a DataSource that pins every connection to one application version's schema and
 * announces the instance, so that Tandem knows which versions are still running before it contracts.
 *
 * <pre>{@code
 * DataSource ds = TandemDataSource.wrap(hikari, "002_user_email");
 * }</pre>
 *
 * Each connection handed out gets {@code search_path} = the version's schema, then the managed schema (for types
 * and sequences), and {@code application_name} = {@code tandem:<version>:<instance>}. The instance also keeps a
 * heartbeat row in the state schema, refreshed every {@code heartbeat} and removed by {@link #close()}. On MariaDB and
 * MySQL the version database becomes the connection's database ({@code USE}), and the session variables
 * {@code @tandem_session} = that name and {@code @tandem_version} = the version are set: the sync triggers tell the
 * writing version by the latter, so a pool that resets sessions ({@code useResetConnection}) loses nothing that the
 * next checkout does not set again.
 *
 * <p>A version is <em>ready</em> once its version schema exists: Tandem creates it when the version's data is complete
 * (at the end of the backfill). Until then {@code getConnection} waits, up to {@code readyTimeout} (default 5
 * minutes), logging why every 10 s, and then throws {@link SQLException} with SQLState {@code 55000}; it never hands
 * out a connection on which the new version could read a row the backfill has not reached.
 *
 * <p>Pools reuse connections: pinning is done on every checkout, not once, so a connection that an application
 * re-pointed meanwhile is put back in its version before it is used again.
 */
public final class TandemDataSource implements DataSource, AutoCloseable {
    private final DataSource delegate;
    private final String version;
    /** Null until the first connection, when the dialect's default is read; see {@link Target}. */
    private final String schema;
    private final String stateSchema;
    private final String instanceId;
    /** Null: chosen by the server of the first connection. */
    private final Dialect givenDialect;
    /** What the first connection told: see {@link #target}. */
    private volatile Target target;
    private final ScheduledExecutorService heartbeat;
    /** Looked up once: a slow name lookup inside a beat would hold close() up. */
    private final String host = host();
    private static final Duration BEAT_LOCK_TIMEOUT = Duration.ofSeconds(1);
    private static final Duration BEAT_STATEMENT_TIMEOUT = Duration.ofSeconds(3);
    private static final Duration CLOSE_WAIT = Duration.ofSeconds(5);
    /** Held by each beat and by {@link #close()}, so that no beat still in flight can bring back a removed row. */
    private final ReentrantLock beatLock = new ReentrantLock();
    private volatile boolean closed;
    private volatile boolean ready;
    private final Duration readyTimeout;
    private static final Duration READY_POLL = Duration.ofMillis(500);
    private static final Duration READY_LOG_EVERY = Duration.ofSeconds(10);

    private TandemDataSource(DataSource delegate, String version, String schema, String stateSchema, String instanceId,
                             Duration interval, Duration readyTimeout, Dialect dialect) {
        this.readyTimeout = readyTimeout;
        this.delegate = delegate;
        this.version = version;
        this.schema = schema;
        this.stateSchema = stateSchema;
        this.instanceId = instanceId;
        this.givenDialect = dialect;
        this.heartbeat = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "tandem-heartbeat-" + instanceId);
            t.setDaemon(true);
            return t;
        });
        if (!interval.isZero()) {
            heartbeat.scheduleAtFixedRate(this::beat, 0, interval.toMillis(), TimeUnit.MILLISECONDS);
        }
    }

    /**
     * Pins {@code delegate}'s connections to {@code version} of the default schema ({@code public} on PostgreSQL, the
     * connection's database on MariaDB and MySQL), heart-beating every 10 s.
     */
    public static TandemDataSource wrap(DataSource delegate, String version) {
        return builder(delegate, version).build();
    }

    public static Builder builder(DataSource delegate, String version) {
        return new Builder(delegate, version);
    }

    /** Settings for a wrapped DataSource. */
    public static final class Builder {
        private final DataSource delegate;
        private final String version;
        private String schema;
        private Dialect dialect;
        private String stateSchema = "tandem";
        private String instanceId = defaultInstanceId();
        private Duration heartbeat = Duration.ofSeconds(10);
        private Duration readyTimeout = Duration.ofMinutes(5);

        private Builder(DataSource delegate, String version) {
            this.delegate = delegate;
            this.version = version;
        }

        /** The managed schema (default: {@code public} on PostgreSQL, the connection's database on MariaDB and MySQL). */
        public Builder schema(String schema) {
            this.schema = schema;
            return this;
        }

        /** The database's dialect (default: chosen by the server of the first connection). */
        public Builder dialect(Dialect dialect) {
            this.dialect = dialect;
            return this;
        }

        public Builder stateSchema(String stateSchema) {
            this.stateSchema = stateSchema;
            return this;
        }

        /** How this instance is named in {@code tandem status} (default: host name and process id). */
        public Builder instanceId(String instanceId) {
            this.instanceId = instanceId;
            return this;
        }

        /** How often the heartbeat row is refreshed; zero turns the heartbeat off. */
        public Builder heartbeat(Duration heartbeat) {
            this.heartbeat = heartbeat;
            return this;
        }

        /**
         * How long {@code getConnection} waits for the version to become ready (its backfill to complete) before it
         * throws; zero fails at once. Default 5 minutes.
         */
        public Builder readyTimeout(Duration readyTimeout) {
            this.readyTimeout = readyTimeout;
            return this;
        }

        public TandemDataSource build() {
            return new TandemDataSource(delegate, version, schema, stateSchema, instanceId, heartbeat, readyTimeout, dialect);
        }
    }

    private static String defaultInstanceId() {
        String host;
        try {
            host = InetAddress.getLocalHost().getHostName();
        } catch (Exception e) {
            host = "unknown-host";
        }
        return host + "-" + ProcessHandle.current().pid() + "-" + UUID.randomUUID().toString().substring(0, 4);
    }

    public String version() {
        return version;
    }

    public String instanceId() {
        return instanceId;
    }

    /** The application_name every connection carries: how Tandem tells versions apart in pg_stat_activity. */
    public String applicationName() {
        return applicationName(version, instanceId);
    }

    public static String applicationName(String version, String instanceId) {
        String name = "tandem:" + version + ":" + instanceId;
        // PostgreSQL keeps the first 63 bytes of application_name.
        return name.length() > 63 ? name.substring(0, 63) : name;
    }

    @Override
    public Connection getConnection() throws SQLException {
        return pin(delegate.getConnection());
    }

    @Override
    public Connection getConnection(String username, String password) throws SQLException {
        return pin(delegate.getConnection(username, password));
    }

    /**
     * The database this data source speaks to, as its first connection shows it: the dialect (unless given), the
     * managed schema (unless given), and from them the search path and the state store. Read once; a race between
     * two first connections only reads it twice.
     */
    private Target target(Connection c) throws SQLException {
        Target t = target;
        if (t == null) {
            Dialect dialect = givenDialect != null ? givenDialect : Dialects.forConnection(c);
            String managed = schema != null ? schema : dialect.defaultSchema(c);
            t = new Target(dialect, java.util.List.of(Names.versionSchema(managed, version), managed),
                    dialect.stateStore(stateSchema, managed));
            target = t;
        }
        return t;
    }

    /** @param searchPath the version's schema, then the managed schema */
    private record Target(Dialect dialect, java.util.List<String> searchPath, StateStore state) {
    }

    private Connection pin(Connection c) throws SQLException {
        try {
            Target t = target(c);
            awaitReady(c, t);
            t.dialect().setSearchPath(c, t.searchPath());
            t.dialect().setApplicationName(c, applicationName());
        } catch (SQLException e) {
            c.close();
            throw e;
        }
        return c;
    }

    /**
     * Returns once the version's schema exists (then never checks again: only a rollback or a later contract removes
     * it, and then the application's statements fail on their own). A version schema that is missing because its
     * migration is not expanded yet, or was rolled back or contracted away, is not waited for.
     */
    private void awaitReady(Connection c, Target t) throws SQLException {
        if (ready) return;
        String versionSchema = t.searchPath().get(0);
        long start = System.nanoTime();
        long lastLog = start;
        while (!t.dialect().schemaExists(c, versionSchema)) {
            String why = notReady(c, t);
            Duration waited = Duration.ofNanos(System.nanoTime() - start);
            if (why == null) {
                throw new SQLException("version " + version + " has no schema " + versionSchema + " and is not being"
                        + " backfilled: its migration is not expanded, was rolled back, or a later migration's contract"
                        + " removed it; check `tandem status`", "55000");
            }
            if (waited.compareTo(readyTimeout) >= 0) {
                throw new SQLException("version " + version + " is not ready after " + waited.toSeconds() + " s: " + why
                        + ". Run `tandem backfill` (or wait for it), or raise readyTimeout", "55000");
            }
            if (System.nanoTime() - lastLog >= READY_LOG_EVERY.toNanos() || lastLog == start) {
                org.slf4j.LoggerFactory.getLogger(TandemDataSource.class).info("waiting for version {}: {}", version, why);
                lastLog = System.nanoTime();
            }
            if (!c.getAutoCommit()) c.rollback();
            try {
                Thread.sleep(READY_POLL.toMillis());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new SQLException("interrupted while waiting for version " + version + " to become ready", "57014", e);
            }
        }
        ready = true;
    }

    /**
     * Why the version is not ready yet, or null when it will not become ready by waiting. A role that may not read
     * Tandem's state is assumed to be waiting for a backfill.
     */
    private String notReady(Connection c, Target t) throws SQLException {
        java.util.Optional<dev.tandem.state.MigrationState> m;
        try {
            m = t.state().get(c, version);
        } catch (SQLException e) {
            if (!c.getAutoCommit()) c.rollback();
            return "its schema " + t.searchPath().get(0) + " does not exist yet (Tandem creates it when the backfill"
                    + " completes; this role cannot read Tandem's state to say more)";
        }
        if (m.isEmpty()) return null;
        return switch (m.get().phase()) {
            case EXPANDING, EXPANDED, BACKFILLING -> "migration " + version + " is " + m.get().phase()
                    + "; its schema is created when the backfill completes";
            default -> null;
        };
    }

    /**
     * One beat, in a transaction bounded by short timeouts set for it alone: the connection is the application's,
     * and a beat stuck behind a lock would hold up {@link #close()}.
     */
    private void beat() {
        beatLock.lock();
        try {
            if (closed) return;
            try (Connection c = delegate.getConnection()) {
                Target t = target(c);
                // Where sessions have no names others can read (MariaDB), the beat's own connection would otherwise
                // count as an unnamed application of the version before.
                t.dialect().markInstanceSession(c, version);
                try {
                    inBoundedTransaction(c, t.dialect(), () -> {
                        t.state().heartbeat(c, instanceId, version, host, ProcessHandle.current().pid());
                        return !closed; // close() gave up waiting for this beat and removed the row: keep it removed
                    });
                } catch (SQLException e) {
                    // The first beat where Tandem never ran: create the table, then beat. Only then, because
                    // CREATE ... IF NOT EXISTS needs the CREATE privilege even where the table exists.
                    if (!t.dialect().isUndefinedObject(e)) throw e;
                    inBoundedTransaction(c, t.dialect(), () -> {
                        t.state().installHeartbeat(c);
                        t.state().heartbeat(c, instanceId, version, host, ProcessHandle.current().pid());
                        return !closed;
                    });
                }
            } catch (SQLException e) {
                // A missed heartbeat is not the application's problem; the next one tries again.
                org.slf4j.LoggerFactory.getLogger(TandemDataSource.class).debug("heartbeat failed: {}", e.getMessage());
            }
        } finally {
            beatLock.unlock();
        }
    }

    /** Work that commits only if it returns true. */
    @FunctionalInterface
    private interface Work {
        boolean run() throws SQLException;
    }

    /**
     * Runs {@code work} in a transaction with short lock and statement timeouts set for it alone (the connection is
     * the application's: it gets it back with its autocommit mode as it was and no setting changed), so that neither
     * a beat nor close() can hang behind a lock.
     */
    private static void inBoundedTransaction(Connection c, Dialect dialect, Work work) throws SQLException {
        boolean autoCommit = c.getAutoCommit();
        c.setAutoCommit(false);
        try {
            dialect.setTransactionTimeouts(c, BEAT_LOCK_TIMEOUT, BEAT_STATEMENT_TIMEOUT);
            if (work.run()) {
                c.commit();
            } else {
                c.rollback();
            }
        } catch (SQLException | RuntimeException e) {
            try {
                c.rollback();
            } catch (SQLException rollback) {
                e.addSuppressed(rollback); // the first error says what went wrong
            }
            throw e;
        } finally {
            try {
                c.setAutoCommit(autoCommit);
                dialect.endTransactionTimeouts(c);
            } catch (SQLException gone) {
                // The connection is broken; the pool finds out when it validates it.
            }
        }
    }

    private static String host() {
        try {
            return InetAddress.getLocalHost().getHostName();
        } catch (Exception e) {
            return null;
        }
    }

    /** Stops the heartbeat and removes this instance's row, so that status and the contract guard stop counting it. */
    @Override
    public void close() {
        heartbeat.shutdown();
        // Waits for a beat in flight: were its upsert to commit after the DELETE below, the instance would look
        // alive for another HEARTBEAT_FRESH and hold up contract. Bounded: a beat that cannot finish rolls back.
        boolean waited = false;
        try {
            waited = beatLock.tryLock(CLOSE_WAIT.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        try {
            if (closed) return;
            closed = true;
        } finally {
            if (waited) beatLock.unlock();
        }
        // Bounded too, so that shutting the application down never waits on a lock; a row left behind goes stale.
        try (Connection c = delegate.getConnection()) {
            Target t = target(c);
            inBoundedTransaction(c, t.dialect(), () -> {
                t.state().removeInstance(c, instanceId, version);
                return true;
            });
        } catch (SQLException e) {
            org.slf4j.LoggerFactory.getLogger(TandemDataSource.class).info("could not remove instance {}'s heartbeat row"
                    + " (it goes stale by itself): {}", instanceId, e.getMessage());
        }
    }

    @Override
    public PrintWriter getLogWriter() throws SQLException {
        return delegate.getLogWriter();
    }

    @Override
    public void setLogWriter(PrintWriter out) throws SQLException {
        delegate.setLogWriter(out);
    }

    @Override
    public void setLoginTimeout(int seconds) throws SQLException {
        delegate.setLoginTimeout(seconds);
    }

    @Override
    public int getLoginTimeout() throws SQLException {
        return delegate.getLoginTimeout();
    }

    @Override
    public Logger getParentLogger() throws SQLFeatureNotSupportedException {
        return delegate.getParentLogger();
    }

    @Override
    public <T> T unwrap(Class<T> iface) throws SQLException {
        return iface.isInstance(this) ? iface.cast(this) : delegate.unwrap(iface);
    }

    @Override
    public boolean isWrapperFor(Class<?> iface) throws SQLException {
        return iface.isInstance(this) || delegate.isWrapperFor(iface);
    }
}
