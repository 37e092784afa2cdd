package dev.tandem.backfill;

import dev.tandem.MigrationStatus;
import dev.tandem.Outcome;
import dev.tandem.Tandem;
import dev.tandem.TandemException;
import dev.tandem.state.Phase;
import dev.tandem.testing.MariaDbServer;
import dev.tandem.testing.Migrations;
import dev.tandem.testing.Replica;
import dev.tandem.testing.Rows;
import dev.tandem.testing.TestDatabase;
import dev.tandem.testing.TestDatabase.OnEveryDatabase;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.postgresql.ds.PGSimpleDataSource;

import javax.sql.DataSource;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

/**
 * The database server restarts under a running backfill: the backfill reconnects by itself, continues from its
 * checkpoint and ends with exactly what a one-shot run would have written. One body for every database, each on a
 * server of its own that the test stops (a clean, fast shutdown that ends every session) and starts again.
 */
class ServerRestartTest {
    static final int ROWS = 30_000;

    static ExecutorService background;

    @TempDir
    Path dir;

    /** A server of the test's own, stopped and started again on the same data directory and port. */
    interface Restartable extends AutoCloseable {
        /** Tandem configured for the migrations' schema; its data source reaches whichever server runs on the port. */
        Tandem.Config tandem();

        /** Superuser access to the same server, outliving a restart like {@link #tandem()}'s. */
        DataSource dataSource();

        /** The schema (a database on MariaDB) the migrations change, qualified for SQL. */
        String qualify(String table);

        /** The state table {@code table}, qualified for SQL. */
        String state(String table);

        void stop() throws Exception;

        void start() throws Exception;
    }

    @BeforeAll
    static void startBackground() {
        background = Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "restart-backfill");
            t.setDaemon(true);
            return t;
        });
    }

    @AfterAll
    static void stopBackground() {
        if (background != null) background.shutdownNow();
    }

    static Restartable server(TestDatabase db) throws Exception {
        return switch (db) {
            case POSTGRES -> new PostgresServer();
            case MARIADB -> new MariaDbRestartable();
        };
    }

    @OnEveryDatabase
    @Timeout(value = 180, unit = TimeUnit.SECONDS)
    void aBackfillSurvivesARestartOfTheServerAndFinishesByItself(TestDatabase kind) throws Exception {
        try (Restartable server = server(kind)) {
            survivesARestart(kind, server);
        }
    }

    private void survivesARestart(TestDatabase kind, Restartable server) throws Exception {
        DataSource db = server.dataSource();
        Migrations files = new Migrations(dir).write("001_init.yaml", BackfillTest.TABLE);
        server.tandem().migrations(dir).load().migrate();
        Rows.update(db, "INSERT INTO " + server.qualify("m") + " SELECT g, g FROM " + kind.series(ROWS));
        files.write("002_change.yaml", BackfillControlEverywhereTest.WIDEN);
        server.tandem().migrations(dir).load().expand();

        // 200-row batches at 3000 rows/s: about 10 s of backfill, so the restart surely lands in the middle of it.
        Tandem runner = server.tandem().migrations(dir).batchSize(200, 200)
                .retryDeadline(Duration.ofMinutes(2)).maxRowsPerSecond(3000).load();
        Tandem observer = server.tandem().migrations(dir).load();
        CompletableFuture<Outcome> running = CompletableFuture.supplyAsync(runner::backfill, background);

        long before = awaitRowsDone(observer, running, Duration.ofSeconds(60));
        assertThat(before).isPositive().isLessThan(ROWS);

        server.stop(); // every session is ended, the backfill's included
        Thread.sleep(2000);
        assertThat(running).as("the backfill while the server is down").isNotDone();
        server.start();

        // Once it makes progress again, it holds the migration lock again: a second Tandem is refused, not let in.
        long atRestart = observer.status().current().orElseThrow().rowsDone();
        awaitRowsDoneAbove(observer, running, atRestart, Duration.ofSeconds(60));
        assertThat(running).as("the backfill right after it resumed").isNotDone();
        Tandem intruder = server.tandem().migrations(dir).lockWait(Duration.ofMillis(300)).load();
        TandemException refused = catchThrowableOfType(intruder::backfill, TandemException.class);
        assertThat(refused).as("a second backfill while the resumed one runs").isNotNull();
        assertThat(refused.kind()).isEqualTo(TandemException.Kind.LOCKED);

        Throwable failure = null;
        Outcome outcome = null;
        try {
            outcome = running.get(120, TimeUnit.SECONDS);
        } catch (ExecutionException e) {
            failure = e.getCause();
        }
        String outcomeText = failure == null ? "backfill() returned " + outcome : "backfill() threw " + failure;

        // Exactly what a one-shot run writes: every row filled with up(v), nothing skipped, nothing left over.
        String m = server.qualify("m");
        assertThat(count(db, "SELECT count(*) FROM " + m)).isEqualTo(ROWS);
        assertThat(count(db, "SELECT count(*) FROM " + m + " WHERE _tandem_backfilled IS NOT TRUE"))
                .as("rows not filled (%s)", outcomeText).isEqualTo(0L);
        assertThat(count(db, "SELECT count(*) FROM " + m + " WHERE _tandem_new_v IS NULL OR _tandem_new_v <> v * 10"))
                .as("rows whose new column is not up(v) (%s)", outcomeText).isEqualTo(0L);
        assertThat(count(db, "SELECT count(*) FROM " + m + " WHERE v <> id")).as("the old column untouched").isEqualTo(0L);
        String backfill = server.state("backfill") + " WHERE migration = '002_change' AND table_name = 'm'";
        assertThat(count(db, "SELECT rows_done FROM " + backfill)).as("checkpointed rows").isGreaterThanOrEqualTo(ROWS);
        assertThat(count(db, "SELECT CASE WHEN done THEN 1 ELSE 0 END FROM " + backfill)).isEqualTo(1L);

        // ...and it finished by itself: no error, and the migration moved on to backfilled.
        MigrationStatus seen = observer.status().current().orElseThrow();
        assertThat(failure).as("the backfill after the restart failed (status now: %s, activity %s):%n%s",
                seen.phase(), seen.activity(), stackTrace(failure)).isNull();
        assertThat(outcome.phase()).isEqualTo(Phase.BACKFILLED);

        MigrationStatus after = observer.status().current().orElseThrow();
        assertThat(after.phase()).isEqualTo(Phase.BACKFILLED);
        assertThat(after.activity().status()).isEqualTo("done");
    }

    private static long count(DataSource db, String sql) {
        return ((Number) Rows.scalar(db, sql)).longValue();
    }

    /** zonky, on the same data directory and port every time; zonky runs initdb only while the directory is empty. */
    static final class PostgresServer implements Restartable {
        final Path dataDirectory = Files.createTempDirectory("tandem-restart");
        final int port = Replica.freePort();
        EmbeddedPostgres server;

        PostgresServer() throws IOException {
            start();
        }

        @Override
        public void start() throws IOException {
            server = EmbeddedPostgres.builder().setDataDirectory(dataDirectory).setCleanDataDirectory(false).setPort(port)
                    .setPGStartupWait(Duration.ofSeconds(120))
                    .setServerConfig("max_connections", "50")
                    .setServerConfig("fsync", "off") // a clean shutdown still writes everything; this only spares the disk
                    .setServerConfig("timezone", "UTC")
                    .start();
        }

        /** pg_ctl stop -m fast: every session is terminated. */
        @Override
        public void stop() throws Exception {
            server.close();
            server = null;
            awaitStopped(dataDirectory, Duration.ofSeconds(60));
        }

        /** Not the server's own DataSource: this one outlives the server object and reaches whichever runs on the port. */
        @Override
        public DataSource dataSource() {
            PGSimpleDataSource ds = new PGSimpleDataSource();
            ds.setURL("jdbc:postgresql://localhost:" + port + "/postgres?user=postgres");
            ds.setConnectTimeout(5);
            ds.setLoginTimeout(5);
            return ds;
        }

        @Override
        public Tandem.Config tandem() {
            return Tandem.configure().dataSource(dataSource());
        }

        @Override
        public String qualify(String table) {
            return table;
        }

        @Override
        public String state(String table) {
            return "tandem." + table;
        }

        @Override
        public void close() throws IOException {
            if (server != null) server.close();
            Replica.deleteTree(dataDirectory);
        }
    }

    /** MariaDbServer's own server, its application database {@code app}; Tandem connects by URL, as the CLI does. */
    static final class MariaDbRestartable implements Restartable {
        final MariaDbServer server = MariaDbServer.start("restart");

        MariaDbRestartable() {
            Rows.update(dataSource(), "CREATE DATABASE app");
        }

        @Override
        public Tandem.Config tandem() {
            return Tandem.configure().url(server.url("app"), "root", MariaDbServer.PASSWORD).schema("app");
        }

        @Override
        public DataSource dataSource() {
            try {
                org.mariadb.jdbc.MariaDbDataSource ds = new org.mariadb.jdbc.MariaDbDataSource(server.url(null) + "?connectTimeout=5000");
                ds.setUser("root");
                ds.setPassword(MariaDbServer.PASSWORD);
                return ds;
            } catch (java.sql.SQLException e) {
                throw new IllegalStateException(e);
            }
        }

        @Override
        public String qualify(String table) {
            return "app." + table;
        }

        @Override
        public String state(String table) {
            return "tandem." + table;
        }

        /** mariadb-admin shutdown: every session is ended, and the data stays. */
        @Override
        public void stop() {
            server.stop();
        }

        @Override
        public void start() {
            server.restart();
        }

        @Override
        public void close() {
            server.stop();
        }
    }

    /** zonky's stop gives up after 5 s; on a busy machine the postmaster may need longer to go. */
    private static void awaitStopped(Path dataDirectory, Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (Files.exists(dataDirectory.resolve("postmaster.pid"))) {
            if (System.nanoTime() > deadline) throw new AssertionError("the server did not stop within " + timeout.toSeconds() + " s");
            Thread.sleep(100);
        }
    }

    private static void awaitRowsDoneAbove(Tandem tandem, CompletableFuture<?> running, long floor, Duration timeout)
            throws Exception {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (tandem.status().current().orElseThrow().rowsDone() <= floor) {
            if (running.isDone()) {
                running.get();
                throw new AssertionError("the backfill finished before it was seen making progress after the restart");
            }
            if (System.nanoTime() > deadline) throw new AssertionError("no progress after the restart within " + timeout.toSeconds() + " s");
            Thread.sleep(50);
        }
    }

    private static long awaitRowsDone(Tandem tandem, CompletableFuture<?> running, Duration timeout) throws Exception {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            long done = tandem.status().current().orElseThrow().rowsDone();
            if (done > 0) return done;
            if (running.isDone()) {
                running.get();
                throw new AssertionError("the backfill finished before any progress was seen");
            }
            Thread.sleep(25);
        }
        throw new AssertionError("no backfill progress within " + timeout.toSeconds() + " s");
    }

    private static String stackTrace(Throwable t) {
        if (t == null) return "";
        StringWriter out = new StringWriter();
        t.printStackTrace(new PrintWriter(out));
        return out.toString();
    }
}
