package dev.tandem.testing;

import dev.tandem.dialect.Dialect;
import dev.tandem.dialect.mariadb.MariaDbDialect;
import dev.tandem.dialect.postgres.PostgresDialect;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import javax.sql.DataSource;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;

/**
 * The servers a test body runs on, one real embedded server each ({@link Pg}, {@link MariaDb}): a test written once
 * against this runs on every dialect. Each gives a superuser's data source, a new schema of the test's own (a database
 * on MariaDB), the dialect, and the little a test needs that the dialect does not offer, such as ending another
 * session from the server side.
 *
 * <pre>{@code
 * @OnEveryDatabase
 * void installTwice(TestDatabase db) { ... db.dialect().stateStore(db.newSchema("state"), "app") ... }
 * }</pre>
 */
public enum TestDatabase {
    POSTGRES {
        @Override
        public DataSource dataSource() {
            return Pg.dataSource();
        }

        @Override
        public String newSchema(String prefix) {
            return Pg.newSchema(prefix);
        }

        @Override
        public Dialect dialect() {
            return new PostgresDialect();
        }

        @Override
        long sessionId(Connection c) throws SQLException {
            return scalarLong(c, "SELECT pg_backend_pid()");
        }

        @Override
        void terminate(Connection admin, long session) throws SQLException {
            scalarLong(admin, "SELECT CASE WHEN pg_terminate_backend(" + session + ") THEN 1 ELSE 0 END");
        }

        @Override
        public String ago(Duration d) {
            return "now() - interval '" + d.toMillis() + " milliseconds'";
        }

        @Override
        public boolean showsSessionNames() {
            return true;
        }

        @Override
        public String series(long n) {
            return "generate_series(1, " + n + ") AS g(g)";
        }

        @Override
        public dev.tandem.Tandem.Config tandem(String schema) {
            return dev.tandem.Tandem.configure().dataSource(Pg.dataSource()).schema(schema);
        }

        /** The search path in the URL, as a pool's settings would give it. */
        @Override
        public DataSource application(String schema, String version) {
            return Pg.dataSource("\"" + dev.tandem.engine.Names.versionSchema(schema, version) + "\", \"" + schema + "\"");
        }
    },
    MARIADB {
        @Override
        public DataSource dataSource() {
            return MariaDb.dataSource();
        }

        @Override
        public String newSchema(String prefix) {
            return MariaDb.newDatabase(prefix);
        }

        @Override
        public Dialect dialect() {
            return new MariaDbDialect(MariaDbDialect.Flavor.MARIADB);
        }

        @Override
        long sessionId(Connection c) throws SQLException {
            return scalarLong(c, "SELECT CONNECTION_ID()");
        }

        @Override
        void terminate(Connection admin, long session) throws SQLException {
            try (Statement st = admin.createStatement()) {
                st.execute("KILL CONNECTION " + session);
            }
        }

        /** MariaDbStateStore keeps the server's UTC clock. */
        @Override
        public String ago(Duration d) {
            return "UTC_TIMESTAMP(6) - INTERVAL " + d.toNanos() / 1000 + " MICROSECOND";
        }

        @Override
        public dev.tandem.Tandem.Config tandem(String schema) {
            return dev.tandem.Tandem.configure().url(MariaDb.url(schema), "root", MariaDbServer.PASSWORD).schema(schema);
        }

        /** The version database in the URL and the version named in sessionVariables (MariaDB Connector/J). */
        @Override
        public DataSource application(String schema, String version) {
            String url = MariaDb.url(dev.tandem.engine.Names.versionSchema(schema, version));
            try {
                // Credentials in the URL: see MariaDb.dataSource.
                return new org.mariadb.jdbc.MariaDbDataSource(url + (url.contains("?") ? "&" : "?")
                        + "sessionVariables=@tandem_version='" + version + "'&user=root&password=" + MariaDbServer.PASSWORD);
            } catch (SQLException e) {
                throw new IllegalStateException(e);
            }
        }

        /** The Sequence storage engine's virtual table (installed by default), named in a database that always exists. */
        @Override
        public String series(long n) {
            return "(SELECT seq AS g FROM mysql.seq_1_to_" + n + ") AS g";
        }

        /** Only with the Performance Schema on, which the embedded server (as MariaDB by default) has off. */
        @Override
        public boolean showsSessionNames() {
            try (Connection c = dataSource().getConnection()) {
                return scalarLong(c, "SELECT @@performance_schema") == 1;
            } catch (SQLException e) {
                throw new IllegalStateException(e);
            }
        }
    };

    /**
     * Tandem configured as a user would for {@code schema}, logged in as the server's superuser (on MariaDB through a
     * URL, as the CLI does, so that Tandem's own connections get what they need).
     */
    public abstract dev.tandem.Tandem.Config tandem(String schema);

    /**
     * What an application of {@code version} configures without Tandem's client library: its version schema (a version
     * database on MariaDB, with {@code @tandem_version} set) by the connection's settings alone.
     */
    public abstract DataSource application(String schema, String version);

    /** Logs in as the server's superuser, with no particular schema. */
    public abstract DataSource dataSource();

    /** A new, empty schema (a database on MariaDB) with a unique name. */
    public abstract String newSchema(String prefix);

    public abstract Dialect dialect();

    /** The server's id of the session of {@code c} (PostgreSQL's backend pid, MariaDB's connection id). */
    abstract long sessionId(Connection c) throws SQLException;

    abstract void terminate(Connection admin, long session) throws SQLException;

    /** SQL for the time {@code d} ago on the server's clock, in the form Tandem's state tables store times. */
    public abstract String ago(Duration d);

    /** A FROM item of the integers 1 to {@code n} in a column {@code g}, to load test rows in one statement. */
    public abstract String series(long n);

    /** Whether other sessions can read the name a session gave itself ({@link Dialect#setApplicationName}). */
    public abstract boolean showsSessionNames();

    /** Ends the session of {@code victim} from another one, as a crash or an administrator would: not a clean close. */
    public void kill(Connection victim) {
        try (Connection admin = dataSource().getConnection()) {
            terminate(admin, sessionId(victim));
        } catch (SQLException e) {
            throw new IllegalStateException("could not end a session: " + e.getMessage(), e);
        }
    }

    /** Runs statements as the superuser. */
    public void exec(String... statements) {
        try (Connection c = dataSource().getConnection(); Statement st = c.createStatement()) {
            for (String sql : statements) st.execute(sql);
        } catch (SQLException e) {
            throw new IllegalStateException(e.getMessage(), e);
        }
    }

    private static long scalarLong(Connection c, String sql) throws SQLException {
        try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery(sql)) {
            rs.next();
            return rs.getLong(1);
        }
    }

    /** A test body that runs once per {@link TestDatabase}, named after it. */
    @Target(ElementType.METHOD)
    @Retention(RetentionPolicy.RUNTIME)
    @ParameterizedTest(name = "{0}")
    @EnumSource(TestDatabase.class)
    public @interface OnEveryDatabase {
    }
}
