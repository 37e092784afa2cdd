package dev.tandem.testing;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;

import javax.sql.DataSource;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.PosixFilePermissions;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;

/**
 * A streaming hot-standby replica of an embedded primary, made without pg_basebackup: a low-level (non-exclusive)
 * online backup copies the primary's data directory, the copy gets the backup label, {@code standby.signal} and a
 * {@code primary_conninfo}, and zonky starts a second server on it (zonky runs initdb only when the directory has no
 * {@code postgresql.conf}, so it starts the copy as it is).
 *
 * <pre>{@code
 * EmbeddedPostgres primary = Replica.primary();
 * Replica replica = Replica.start(primary);
 * replica.pauseReplay(); ... replica.resumeReplay();
 * replica.close(); primary.close();
 * }</pre>
 */
public final class Replica implements LaggingReplica, AutoCloseable {
    private static final Duration STARTUP_WAIT = Duration.ofSeconds(120);
    /**
     * Server settings of the primary; the replica gets the same ones (a hot standby needs max_connections and
     * friends at least as high as the primary's, and zonky passes settings on the command line, not in the files).
     */
    private static final Map<String, String> CONFIG = config();

    private final EmbeddedPostgres primary;
    private final EmbeddedPostgres server;
    private final Path dataDirectory;
    private final String name;

    private Replica(EmbeddedPostgres primary, EmbeddedPostgres server, Path dataDirectory, String name) {
        this.primary = primary;
        this.server = server;
        this.dataDirectory = dataDirectory;
        this.name = name;
    }

    private static Map<String, String> config() {
        Map<String, String> c = new LinkedHashMap<>();
        c.put("wal_level", "replica");
        c.put("max_wal_senders", "10");
        c.put("wal_keep_size", "2048"); // MB: the replica never falls off the WAL the primary keeps
        c.put("hot_standby", "on");
        c.put("hot_standby_feedback", "off");
        c.put("wal_receiver_status_interval", "1");
        c.put("max_connections", "100");
        c.put("fsync", "off");
        c.put("synchronous_commit", "off");
        c.put("timezone", "UTC");
        return c;
    }

    /** A builder for a primary that can feed a replica; start it yourself and close it after the replica. */
    public static EmbeddedPostgres.Builder primaryBuilder() {
        EmbeddedPostgres.Builder b = EmbeddedPostgres.builder().setPGStartupWait(STARTUP_WAIT);
        CONFIG.forEach(b::setServerConfig);
        return b;
    }

    /** Starts a primary that can feed a replica. */
    public static EmbeddedPostgres primary() {
        try {
            return primaryBuilder().start();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Makes a replica of {@code primary} and waits until it streams and has replayed everything the primary had. */
    public static Replica start(EmbeddedPostgres primary) {
        String name = "tandem_replica_" + ProcessHandle.current().pid() + "_" + System.nanoTime() % 100_000;
        Path copy = null;
        EmbeddedPostgres server = null;
        try (Connection c = primary.getPostgresDatabase().getConnection()) {
            c.setAutoCommit(true);
            allowReplication(c);
            Path source = Path.of(string(c, "SHOW data_directory"));
            copy = Files.createTempDirectory("tandem-replica");
            Files.setPosixFilePermissions(copy, PosixFilePermissions.fromString("rwx------"));
            int port = freePort();

            // The non-exclusive backup belongs to this session: start, copy and stop all on c.
            boolean pg15 = c.getMetaData().getDatabaseMajorVersion() >= 15;
            try (PreparedStatement ps = c.prepareStatement(pg15 ? "SELECT pg_backup_start(?, true)"
                    : "SELECT pg_start_backup(?, true, false)")) {
                ps.setString(1, name);
                ps.execute();
            }
            copyDataDirectory(source, copy);
            String label;
            String tablespaceMap;
            try (Statement st = c.createStatement();
                 ResultSet rs = st.executeQuery(pg15 ? "SELECT labelfile, spcmapfile FROM pg_backup_stop()"
                         : "SELECT labelfile, spcmapfile FROM pg_stop_backup(false)")) {
                rs.next();
                label = rs.getString(1);
                tablespaceMap = rs.getString(2);
            }
            Files.writeString(copy.resolve("backup_label"), label);
            if (tablespaceMap != null && !tablespaceMap.isBlank()) Files.writeString(copy.resolve("tablespace_map"), tablespaceMap);
            Files.writeString(copy.resolve("standby.signal"), "");
            Files.writeString(copy.resolve("postgresql.auto.conf"), "\n# replica of the server on port " + primary.getPort() + "\n"
                    + "primary_conninfo = 'host=localhost port=" + primary.getPort() + " user=postgres application_name=" + name + "'\n"
                    + "port = " + port + "\n", StandardOpenOption.CREATE, StandardOpenOption.APPEND);

            EmbeddedPostgres.Builder b = EmbeddedPostgres.builder().setDataDirectory(copy).setCleanDataDirectory(false)
                    .setPort(port).setPGStartupWait(STARTUP_WAIT);
            CONFIG.forEach(b::setServerConfig);
            server = b.start();
            Replica replica = new Replica(primary, server, copy, name);
            replica.awaitStreaming(Duration.ofSeconds(60));
            replica.awaitCaughtUp(Duration.ofSeconds(60));
            return replica;
        } catch (SQLException e) {
            cleanUp(server, copy);
            throw new IllegalStateException("could not make a replica: " + e.getMessage(), e);
        } catch (IOException e) {
            cleanUp(server, copy);
            throw new UncheckedIOException("could not make a replica: " + e.getMessage(), e);
        } catch (RuntimeException | Error e) {
            cleanUp(server, copy);
            throw e;
        }
    }

    public EmbeddedPostgres server() {
        return server;
    }

    public DataSource dataSource() {
        return server.getPostgresDatabase();
    }

    @Override
    public dev.tandem.Tandem.Config tandem(String schema) {
        return dev.tandem.Tandem.configure().dataSource(primaryDataSource()).schema(schema);
    }

    @Override
    public DataSource primaryDataSource() {
        return primary.getPostgresDatabase();
    }

    /** The superuser: reading the replay position needs no privilege, but the tests have no other role here. */
    @Override
    public DataSource replicaForTandem() {
        return dataSource();
    }

    @Override
    public DataSource replica() {
        return dataSource();
    }

    @Override
    public String newSchema(String prefix) {
        String name = prefix + "_" + System.nanoTime() % 100_000;
        exec(primaryDataSource(), "CREATE SCHEMA \"" + name + "\"");
        return name;
    }

    @Override
    public dev.tandem.dialect.Dialect dialect() {
        return TestDatabase.POSTGRES.dialect();
    }

    @Override
    public TestDatabase database() {
        return TestDatabase.POSTGRES;
    }

    /** The name the replica's WAL receiver has in the primary's {@code pg_stat_replication}. */
    public String name() {
        return name;
    }

    /** Stops applying WAL; the replica keeps receiving it, so its replay lag grows with every commit on the primary. */
    @Override
    public void pauseReplay() {
        exec(dataSource(), "SELECT pg_wal_replay_pause()");
    }

    @Override
    public void resumeReplay() {
        exec(dataSource(), "SELECT pg_wal_replay_resume()");
    }

    @Override
    public boolean replayPaused() {
        return Boolean.TRUE.equals(scalar(dataSource(), "SELECT pg_is_wal_replay_paused()"));
    }

    /** Waits until the primary lists this replica as streaming. */
    public void awaitStreaming(Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            Object n = scalar(primary.getPostgresDatabase(),
                    "SELECT count(*) FROM pg_stat_replication WHERE application_name = '" + name + "' AND state = 'streaming'");
            if (((Number) n).longValue() > 0) return;
            if (System.nanoTime() > deadline) {
                throw new AssertionError("the replica never streamed; pg_stat_replication: "
                        + Rows.query(primary.getPostgresDatabase(), "SELECT * FROM pg_stat_replication"));
            }
            sleep(100);
        }
    }

    /** Waits until the replica has replayed everything the primary had written when this was called. */
    @Override
    public void awaitCaughtUp(Duration timeout) {
        // The insert position, not pg_current_wal_lsn() (what has been written out): with synchronous_commit off the
        // last commits may still sit in WAL buffers, and a replica that replayed up to the written position lacks them.
        String target = scalar(primary.getPostgresDatabase(), "SELECT pg_current_wal_insert_lsn()::text").toString();
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            Object ok = scalar(dataSource(), "SELECT coalesce(pg_last_wal_replay_lsn() >= '" + target + "'::pg_lsn, false)");
            if (Boolean.TRUE.equals(ok)) return;
            if (System.nanoTime() > deadline) {
                throw new AssertionError("the replica did not replay up to " + target + " in " + timeout.toSeconds()
                        + " s; it replayed up to " + scalar(dataSource(), "SELECT pg_last_wal_replay_lsn()::text")
                        + (replayPaused() ? " (replay is paused)" : ""));
            }
            sleep(100);
        }
    }

    /** Stops the replica and deletes its data directory; the primary is the caller's to close. */
    @Override
    public void close() {
        cleanUp(server, dataDirectory);
    }

    // ---------------------------------------------------------------- internals

    /** initdb's pg_hba.conf already lets local replication connections in; make sure, in case that changes. */
    private static void allowReplication(Connection c) throws SQLException, IOException {
        Path hba = Path.of(string(c, "SHOW hba_file"));
        List<String> lines = Files.readAllLines(hba);
        boolean allowed = lines.stream().map(String::trim).filter(l -> !l.startsWith("#"))
                .anyMatch(l -> l.matches("host\\s+replication\\s+all\\s+127\\.0\\.0\\.1/32\\s+trust.*"));
        if (!allowed) {
            Files.writeString(hba, "\nhost replication all 127.0.0.1/32 trust\nhost replication all ::1/128 trust\n",
                    StandardOpenOption.APPEND);
            try (Statement st = c.createStatement()) {
                st.execute("SELECT pg_reload_conf()");
            }
        }
    }

    /** What pg_basebackup leaves out: the files of these directories (the directories themselves are kept). */
    private static final Set<String> EMPTIED = Set.of("pg_wal", "pg_stat_tmp", "pg_replslot", "pg_dynshmem", "pg_notify",
            "pg_serial", "pg_snapshots", "pg_subtrans");
    /** Files pg_basebackup leaves out, plus zonky's lock file. */
    private static final Set<String> SKIPPED = Set.of("postmaster.pid", "postmaster.opts", "epg-lock", "backup_label",
            "tablespace_map", "standby.signal", "recovery.signal", "pg_internal.init");

    /** Copies a live data directory; files that vanish while copying are fine (WAL replay recreates what matters). */
    private static void copyDataDirectory(Path source, Path target) throws IOException {
        Files.walkFileTree(source, new SimpleFileVisitor<>() {
            @Override
            public FileVisitResult preVisitDirectory(Path dir, BasicFileAttributes attrs) throws IOException {
                Path to = target.resolve(source.relativize(dir).toString());
                Files.createDirectories(to);
                Files.setPosixFilePermissions(to, PosixFilePermissions.fromString("rwx------"));
                return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
                Path rel = source.relativize(file);
                String fileName = rel.getFileName().toString();
                if (SKIPPED.contains(fileName) || fileName.startsWith("pgsql_tmp")) return FileVisitResult.CONTINUE;
                if (rel.getNameCount() > 1 && EMPTIED.contains(rel.getName(0).toString())) return FileVisitResult.CONTINUE;
                try {
                    Files.copy(file, target.resolve(rel.toString()), StandardCopyOption.REPLACE_EXISTING);
                } catch (NoSuchFileException vanished) {
                    // Dropped or recycled while we copied.
                }
                return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult visitFileFailed(Path file, IOException e) throws IOException {
                if (e instanceof NoSuchFileException) return FileVisitResult.CONTINUE;
                throw e;
            }
        });
    }

    private static void cleanUp(EmbeddedPostgres server, Path dir) {
        if (server != null) {
            try {
                server.close();
            } catch (IOException ignored) {
                // Best effort.
            }
        }
        if (dir != null) deleteTree(dir);
    }

    /** Deletes a directory tree, best effort. */
    public static void deleteTree(Path dir) {
        if (!Files.exists(dir)) return;
        try (Stream<Path> paths = Files.walk(dir)) {
            paths.sorted(Comparator.reverseOrder()).forEach(p -> {
                try {
                    Files.deleteIfExists(p);
                } catch (DirectoryNotEmptyException | NoSuchFileException ignored) {
                    // Something is still writing; leave it.
                } catch (IOException ignored) {
                    // Best effort.
                }
            });
        } catch (IOException | UncheckedIOException ignored) {
            // Best effort.
        }
    }

    /** A TCP port nobody listens on right now. */
    public static int freePort() {
        try (ServerSocket s = new ServerSocket(0)) {
            s.setReuseAddress(true);
            return s.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static String string(Connection c, String sql) throws SQLException {
        try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery(sql)) {
            rs.next();
            return rs.getString(1);
        }
    }

    private static void exec(DataSource ds, String sql) {
        try (Connection c = ds.getConnection(); Statement st = c.createStatement()) {
            st.execute(sql);
        } catch (SQLException e) {
            throw new IllegalStateException(sql + ": " + e.getMessage(), e);
        }
    }

    private static Object scalar(DataSource ds, String sql) {
        return Rows.scalar(ds, sql);
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
    }
}
