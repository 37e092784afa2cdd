package dev.tandem.testing;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import org.postgresql.ds.PGSimpleDataSource;

import javax.sql.DataSource;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * One real embedded PostgreSQL for the whole test JVM (starting one takes seconds); each test works in schemas
 * of its own, so tests do not see each other. The server version follows {@code -Dtandem.pg.version}.
 */
public final class Pg {
    private static EmbeddedPostgres server;
    private static final AtomicInteger counter = new AtomicInteger();

    private Pg() {
    }

    public static synchronized EmbeddedPostgres server() {
        if (server == null) {
            try {
                server = EmbeddedPostgres.builder()
                        .setServerConfig("max_connections", "200")
                        .setServerConfig("fsync", "off")
                        .setServerConfig("synchronous_commit", "off")
                        .start();
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            Runtime.getRuntime().addShutdownHook(new Thread(() -> {
                try {
                    server.close();
                } catch (IOException ignored) {
                    // The JVM is going away.
                }
            }));
        }
        return server;
    }

    public static String url() {
        return server().getJdbcUrl("postgres", "postgres");
    }

    public static DataSource dataSource() {
        PGSimpleDataSource ds = new PGSimpleDataSource();
        ds.setURL(url());
        return ds;
    }

    /** A data source whose connections use {@code searchPath} (comma-separated, as pgjdbc's currentSchema). */
    public static DataSource dataSource(String searchPath) {
        PGSimpleDataSource ds = new PGSimpleDataSource();
        ds.setURL(url());
        ds.setCurrentSchema(searchPath);
        return ds;
    }

    /** A data source that logs in as {@code role} (the embedded server trusts local logins; no password). */
    public static DataSource dataSourceAs(String role) {
        PGSimpleDataSource ds = new PGSimpleDataSource();
        ds.setURL(url());
        ds.setUser(role);
        ds.setPassword("");
        return ds;
    }

    /** A new, empty schema with a unique name. */
    public static String newSchema(String prefix) {
        String name = prefix + "_" + counter.incrementAndGet() + "_" + ProcessHandle.current().pid();
        exec("CREATE SCHEMA \"" + name + "\"");
        return name;
    }

    public static void exec(String sql) {
        try (Connection c = dataSource().getConnection(); Statement st = c.createStatement()) {
            st.execute(sql);
        } catch (SQLException e) {
            throw new IllegalStateException(sql + ": " + e.getMessage(), e);
        }
    }
}
