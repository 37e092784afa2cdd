package dev.tandem.testing;

import dev.tandem.dialect.mariadb.MariaDbSqlText;
import org.mariadb.jdbc.MariaDbDataSource;

import javax.sql.DataSource;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * One real embedded MariaDB for the whole test JVM, the counterpart of {@link Pg}: started on first use, binary log on
 * in ROW format, grants enforced, {@code log_bin_trust_function_creators} at its default (0). Each test works in
 * databases and users of its own, so tests do not see each other. The server version follows
 * {@code -Dtandem.mariadb.version} (11.4 or 10.11).
 */
public final class MariaDb {
    private static MariaDbServer server;
    private static final AtomicInteger counter = new AtomicInteger();

    private MariaDb() {
    }

    public static synchronized MariaDbServer server() {
        if (server == null) {
            long started = System.nanoTime();
            server = MariaDbServer.start("shared");
            System.out.printf("MariaDB %s started in %d ms%n", MariaDbServer.binariesVersion(),
                    (System.nanoTime() - started) / 1_000_000);
        }
        return server;
    }

    /** What VERSION() says, e.g. {@code 11.4.5-MariaDB-log}. */
    public static String serverVersion() {
        return (String) Rows.scalar(dataSource(), "SELECT VERSION()");
    }

    /** The URL of the server with no default database. */
    public static String url() {
        return server().url(null);
    }

    /** The URL whose default database is {@code database} (which is how an application picks its version). */
    public static String url(String database) {
        return server().url(database);
    }

    /**
     * Logs in as {@code root} (every privilege, SUPER included), in the database {@code mysql}: tests name every table
     * by its database, and a session with no default database counts for the contract guard as one that may use any
     * table (README, "MariaDB"), so a helper session of one test, still open, would hold back another test's contract.
     */
    public static DataSource dataSource() {
        return dataSource("mysql");
    }

    /** Logs in as {@code root} with no default database: for tests of what a session without one is told. */
    public static DataSource withoutDatabase() {
        return dataSource(url(), "root");
    }

    /** Logs in as {@code root} with {@code database} as the default database. */
    public static DataSource dataSource(String database) {
        return dataSource(url(database), "root");
    }

    /**
     * Logs in as {@code root} in the database {@code mysql}: for a test's own sessions that watch or poll while a
     * Tandem command runs in another thread or process. A session with no default database may use any table by its
     * qualified name, so the contract guard counts it (README, "MariaDB", what the contract guard sees) and refuses
     * while it is connected; one in {@code mysql} is no version's.
     */
    public static DataSource watcher() {
        return dataSource("mysql");
    }

    /** Logs in as {@code user} (made by {@link #newUser}), with no default database. */
    public static DataSource dataSourceAs(String user) {
        return dataSource(url(), user);
    }

    /** Logs in as {@code user} with {@code database} as the default database. */
    public static DataSource dataSourceAs(String user, String database) {
        return dataSource(url(database), user);
    }

    private static DataSource dataSource(String url, String user) {
        try {
            // As Tandem's own connections are configured (Dialects adds it to a URL): a step may hold several statements.
            // Credentials in the URL, not setUser/setPassword: MariaDbDataSource.config() publishes the parsed URL
            // before adding them, and a connection opened meanwhile logs in with no password (Connector/J 3.5.7: KillAnywhereTest's
            // 'Access denied ... (using password: NO)').
            return new MariaDbDataSource(url + (url.contains("?") ? "&" : "?") + "allowMultiQueries=true"
                    + "&user=" + user + "&password=" + MariaDbServer.PASSWORD);
        } catch (SQLException e) {
            throw new IllegalStateException(url + ": " + e.getMessage(), e);
        }
    }

    /** A new, empty database with a unique name (MariaDB's databases are what PostgreSQL's schemas are to Tandem). */
    public static String newDatabase(String prefix) {
        String name = unique(prefix);
        exec("CREATE DATABASE " + quote(name));
        return name;
    }

    /**
     * A new user that logs in from anywhere with {@link MariaDbServer#PASSWORD} and holds exactly {@code grants},
     * each the privilege list and object of a GRANT statement as the test writes it, e.g.
     * {@code "SELECT, INSERT ON `db`.*"} or {@code "TRIGGER ON `db`.`t`"}. It is not SUPER unless a grant says so.
     *
     * @return the user's name (its host is {@code '%'})
     */
    public static String newUser(String prefix, String... grants) {
        String name = unique(prefix);
        String account = account(name);
        exec("CREATE USER " + account + " IDENTIFIED BY " + literal(MariaDbServer.PASSWORD));
        for (String grant : grants) exec("GRANT " + grant + " TO " + account);
        return name;
    }

    /** {@code 'name'@'%'}, the account {@link #newUser} made. */
    public static String account(String user) {
        return literal(user) + "@'%'";
    }

    /**
     * Sets {@code log_bin_trust_function_creators} for the whole server until the returned handle is closed, which
     * restores the value it had. With the binary log on and this at 0, only SUPER may create triggers (error 1419,
     * "Binary Logging of Stored Routines" in the MariaDB manual). Tests that use it must not run in parallel with
     * tests that rely on the other value.
     */
    public static AutoCloseable trustFunctionCreators(boolean trust) {
        Object before = Rows.scalar(dataSource(), "SELECT @@GLOBAL.log_bin_trust_function_creators");
        exec("SET GLOBAL log_bin_trust_function_creators = " + (trust ? 1 : 0));
        return () -> exec("SET GLOBAL log_bin_trust_function_creators = " + before);
    }

    /** Runs {@code sql} as root with no default database. */
    public static void exec(String sql) {
        try (Connection c = dataSource().getConnection(); Statement st = c.createStatement()) {
            st.execute(sql);
        } catch (SQLException e) {
            throw new IllegalStateException(sql + ": " + e.getMessage(), e);
        }
    }

    /** Runs each statement as root in {@code database}, in order, on one connection. */
    public static void exec(String database, String... statements) {
        try (Connection c = dataSource(database).getConnection(); Statement st = c.createStatement()) {
            for (String sql : statements) {
                try {
                    st.execute(sql);
                } catch (SQLException e) {
                    throw new IllegalStateException(sql + ": " + e.getMessage(), e);
                }
            }
        } catch (SQLException e) {
            throw new IllegalStateException(database + ": " + e.getMessage(), e);
        }
    }

    /** An identifier quoted for MariaDB, as the dialect quotes it. */
    public static String quote(String identifier) {
        return MariaDbSqlText.quote(identifier);
    }

    /** A string literal, as the dialect writes it. */
    public static String literal(String text) {
        return MariaDbSqlText.literal(text);
    }

    private static String unique(String prefix) {
        return prefix + "_" + counter.incrementAndGet() + "_" + ProcessHandle.current().pid();
    }
}
