package dev.tandem.cli.demo;

import dev.tandem.dialect.Dialect;
import dev.tandem.dialect.postgres.PostgresDialect;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import org.postgresql.ds.PGSimpleDataSource;

import javax.sql.DataSource;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;

/** The demo on PostgreSQL: an embedded server (zonky's binaries) or the one {@code --url} names. */
final class PostgresDemoDatabase extends DemoDatabase {
    private final Dialect dialect = new PostgresDialect();
    private final DataSource dataSource;
    /** Null for a server given by --url. */
    private final EmbeddedPostgres embedded;

    private PostgresDemoDatabase(DataSource dataSource, EmbeddedPostgres embedded) {
        super(Kind.postgres);
        this.dataSource = dataSource;
        this.embedded = embedded;
    }

    /** Starts a PostgreSQL in a temporary directory, deleted by {@link #close()}. */
    static PostgresDemoDatabase embedded(PrintWriter log) {
        log.println("starting an embedded PostgreSQL in a temporary directory ...");
        try {
            EmbeddedPostgres pg = EmbeddedPostgres.builder().setServerConfig("max_connections", "200").start();
            return new PostgresDemoDatabase(dataSource(pg.getJdbcUrl("postgres", "postgres"), null, null), pg);
        } catch (IOException e) {
            throw new UncheckedIOException("the embedded PostgreSQL did not start: " + e.getMessage(), e);
        }
    }

    /** The server of a {@code jdbc:postgresql:} URL. */
    static PostgresDemoDatabase at(String jdbcUrl, String user, String password) {
        return new PostgresDemoDatabase(dataSource(jdbcUrl, user, password), null);
    }

    private static DataSource dataSource(String url, String user, String password) {
        PGSimpleDataSource ds = new PGSimpleDataSource();
        ds.setURL(url);
        if (user != null) ds.setUser(user);
        if (password != null) ds.setPassword(password);
        return ds;
    }

    @Override
    Dialect dialect() {
        return dialect;
    }

    @Override
    DataSource server() {
        return dataSource;
    }

    /** The server's connections: Tandem is told the schema, and the demo qualifies names or sets the search path. */
    @Override
    DataSource admin(String schema) {
        return dataSource;
    }

    @Override
    DataSource applications() {
        return dataSource;
    }

    @Override
    String schemaWord() {
        return "schema";
    }

    @Override
    String seed(int rows) {
        return "INSERT INTO users (name, password_hash, enabled, extra) SELECT 'user' || g, md5(g::text), g % 2, '{}'"
                + " FROM generate_series(1, " + rows + ") g";
    }

    @Override
    String naiveStep() {
        return "ALTER TABLE in one transaction";
    }

    @Override
    String isDistinct(String a, String b) {
        return "(" + a + ") IS DISTINCT FROM (" + b + ")";
    }

    /** The label is the schema's comment. */
    @Override
    Boolean labelled(Connection c, String name, String label) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(
                "SELECT obj_description(oid, 'pg_namespace') IS NOT DISTINCT FROM ? FROM pg_namespace WHERE nspname = ?")) {
            ps.setString(1, label);
            ps.setString(2, name);
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next() ? rs.getBoolean(1) : null;
            }
        }
    }

    @Override
    void createLabelled(Connection c, String name, String label) throws SQLException {
        try (Statement st = c.createStatement()) {
            st.execute("CREATE SCHEMA " + dialect.quote(name));
            st.execute("COMMENT ON SCHEMA " + dialect.quote(name) + " IS " + dialect.literal(label));
        }
    }

    @Override
    void drop(Connection c, String name) throws SQLException {
        try (Statement st = c.createStatement()) {
            st.execute("DROP SCHEMA " + dialect.quote(name) + " CASCADE");
        }
    }

    @Override
    public void close() {
        if (embedded == null) return;
        try {
            embedded.close();
        } catch (IOException e) {
            throw new UncheckedIOException("the embedded PostgreSQL did not stop cleanly: " + e.getMessage(), e);
        }
    }
}
