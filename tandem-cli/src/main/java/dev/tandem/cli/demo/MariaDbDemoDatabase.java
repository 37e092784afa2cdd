package dev.tandem.cli.demo;

import dev.tandem.dialect.Dialect;
import dev.tandem.dialect.Dialects;
import dev.tandem.dialect.mariadb.MariaDbDialect;
import org.mariadb.jdbc.MariaDbDataSource;

import javax.sql.DataSource;
import java.io.PrintWriter;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;

/**
 * The demo on MariaDB: an embedded server ({@link EmbeddedMariaDb}) or the one a {@code jdbc:mariadb:} URL names. A
 * schema is a database here. Tandem's connections allow several statements at once (it sends a step's together);
 * the application nodes' connections are plain ones, as an application's pool would open them.
 */
final class MariaDbDemoDatabase extends DemoDatabase {
    private final Dialect dialect = new MariaDbDialect(MariaDbDialect.Flavor.MARIADB);
    private final DataSource server;
    private final DataSource applications;
    /** Null for a server given by --url. */
    private final EmbeddedMariaDb embedded;

    private MariaDbDemoDatabase(String url, String user, String password, EmbeddedMariaDb embedded) {
        super(Kind.mariadb);
        this.server = Dialects.dataSource(url, user, password);
        this.applications = plain(url, user, password);
        this.embedded = embedded;
    }

    /** Starts a MariaDB in a temporary directory, deleted by {@link #close()}. */
    static MariaDbDemoDatabase embedded(PrintWriter log) {
        log.println("starting an embedded MariaDB " + EmbeddedMariaDb.binariesVersion() + " in a temporary directory ...");
        log.flush();
        EmbeddedMariaDb server = EmbeddedMariaDb.start();
        return new MariaDbDemoDatabase(server.url(), server.user(), server.password(), server);
    }

    /** The server of a {@code jdbc:mariadb:} URL. */
    static MariaDbDemoDatabase at(String jdbcUrl, String user, String password) {
        return new MariaDbDemoDatabase(jdbcUrl, user, password, null);
    }

    private static DataSource plain(String url, String user, String password) {
        try {
            MariaDbDataSource ds = new MariaDbDataSource(url);
            if (user != null) ds.setUser(user);
            if (password != null) ds.setPassword(password);
            return ds;
        } catch (SQLException e) {
            throw new IllegalArgumentException("the MariaDB driver refused the URL: " + e.getMessage(), e);
        }
    }

    @Override
    Dialect dialect() {
        return dialect;
    }

    @Override
    DataSource server() {
        return server;
    }

    /** The server's connections with {@code schema} as their database ({@link java.sql.Connection#setCatalog}). */
    @Override
    DataSource admin(String schema) {
        return inDatabase(server, schema);
    }

    @Override
    DataSource applications() {
        return applications;
    }

    @Override
    String schemaWord() {
        return "database";
    }

    /** From the Sequence engine's virtual table {@code seq_1_to_N} ("Sequence Storage Engine" in the MariaDB manual). */
    @Override
    String seed(int rows) {
        return "INSERT INTO users (name, password_hash, enabled, extra) SELECT CONCAT('user', seq), MD5(seq), seq % 2, '{}'"
                + " FROM seq_1_to_" + rows;
    }

    @Override
    String naiveStep() {
        return "ALTER TABLE statements that each commit on their own";
    }

    /** {@code <=>} is MariaDB's NULL-safe equality ("Comparison Operators" in the MariaDB manual). */
    @Override
    String isDistinct(String a, String b) {
        return "NOT ((" + a + ") <=> (" + b + "))";
    }

    /** The label is the database's comment (information_schema.SCHEMATA.SCHEMA_COMMENT, MariaDB 10.5 and later). */
    @Override
    Boolean labelled(Connection c, String name, String label) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(
                "SELECT SCHEMA_NAME, SCHEMA_COMMENT FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = ?")) {
            ps.setString(1, name);
            try (ResultSet rs = ps.executeQuery()) {
                // information_schema compares names without regard to case; the server (on Linux) does not.
                while (rs.next()) {
                    if (rs.getString(1).equals(name)) return label.equals(rs.getString(2));
                }
                return null;
            }
        }
    }

    @Override
    void createLabelled(Connection c, String name, String label) throws SQLException {
        try (Statement st = c.createStatement()) {
            st.execute("CREATE DATABASE " + dialect.quote(name) + " COMMENT " + dialect.literal(label));
        }
    }

    @Override
    void drop(Connection c, String name) throws SQLException {
        try (Statement st = c.createStatement()) {
            st.execute("DROP DATABASE " + dialect.quote(name));
        }
    }

    @Override
    public void close() {
        if (embedded != null) embedded.close();
    }

    /**
     * {@code server}'s connections, each with {@code database} as its default database: one server URL serves a
     * database the demo creates after connecting, which a URL naming it could not reach before. Every other method is
     * the server's own.
     */
    private static DataSource inDatabase(DataSource server, String database) {
        return (DataSource) Proxy.newProxyInstance(DataSource.class.getClassLoader(), new Class<?>[]{DataSource.class},
                (proxy, method, args) -> {
                    Object result;
                    try {
                        result = method.invoke(server, args);
                    } catch (InvocationTargetException e) {
                        throw e.getCause();
                    }
                    if (result instanceof Connection c && method.getName().equals("getConnection")) {
                        try {
                            c.setCatalog(database);
                        } catch (SQLException e) {
                            c.close();
                            throw e;
                        }
                    }
                    return result;
                });
    }
}
