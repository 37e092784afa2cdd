package dev.tandem.backfill;

import dev.tandem.MigrationStatus;
import dev.tandem.Outcome;
import dev.tandem.Tandem;
import dev.tandem.TandemException;
import dev.tandem.state.Phase;
import dev.tandem.testing.Migrations;
import dev.tandem.testing.Replica;
import dev.tandem.testing.Rows;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
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
 * checkpoint and ends with exactly what a one-shot run would have written.
 */
class ServerRestartTest {
    static final int ROWS = 30_000;

    static Path dataDirectory;
    static int port;
    static volatile EmbeddedPostgres server;
    static ExecutorService background;

    @TempDir
    Path dir;

    @BeforeAll
    static void startServer() throws IOException {
        dataDirectory = Files.createTempDirectory("tandem-restart");
        port = Replica.freePort();
        server = start();
        background = Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "restart-backfill");
            t.setDaemon(true);
            return t;
        });
    }

    @AfterAll
    static void stopServer() throws IOException {
        if (background != null) background.shutdownNow();
        if (server != null) server.close();
        if (dataDirectory != null) Replica.deleteTree(dataDirectory);
    }

    /** The same data directory and port every time; zonky runs initdb only while the directory is empty. */
    private static EmbeddedPostgres start() throws IOException {
        return EmbeddedPostgres.builder().setDataDirectory(dataDirectory).setCleanDataDirectory(false).setPort(port)
                .setPGStartupWait(Duration.ofSeconds(120))
                .setServerConfig("max_connections", "50")
                .setServerConfig("fsync", "off") // a clean shutdown still writes everything; this only spares the disk
                .setServerConfig("timezone", "UTC")
                .start();
    }

    /** Not the server's own DataSource: this one outlives the server object and reaches whichever runs on the port. */
    private static DataSource dataSource() {
        PGSimpleDataSource ds = new PGSimpleDataSource();
        ds.setURL("jdbc:postgresql://localhost:" + port + "/postgres?user=postgres");
        ds.setConnectTimeout(5);
        ds.setLoginTimeout(5);
        return ds;
    }

    @Test
    @Timeout(value = 180, unit = TimeUnit.SECONDS)
    void aBackfillSurvivesARestartOfTheServerAndFinishesByItself() throws Exception {
        DataSource db = dataSource();
        Migrations files = new Migrations(dir).write("001_init.yaml", BackfillTest.TABLE);
        Tandem.configure().dataSource(db).migrations(dir).load().migrate();
        Rows.update(db, "INSERT INTO m SELECT g, g FROM generate_series(1, " + ROWS + ") g");
        files.write("002_change.yaml", BackfillTest.WIDEN);
        Tandem.configure().dataSource(db).migrations(dir).load().expand();

        // 200-row batches at 3000 rows/s: about 10 s of backfill, so the restart surely lands in the middle of it.
        Tandem runner = Tandem.configure().dataSource(db).migrations(dir).batchSize(200, 200)
                .retryDeadline(Duration.ofMinutes(2)).maxRowsPerSecond(3000).load();
        Tandem observer = Tandem.configure().dataSource(db).migrations(dir).load();
        CompletableFuture<Outcome> running = CompletableFuture.supplyAsync(runner::backfill, background);

        long before = awaitRowsDone(observer, running, Duration.ofSeconds(60));
        assertThat(before).isPositive().isLessThan(ROWS);

        server.close(); // pg_ctl stop -m fast: every session is terminated, the backfill's included
        server = null;
        awaitStopped(Duration.ofSeconds(60));
        Thread.sleep(2000);
        assertThat(running).as("the backfill while the server is down").isNotDone();
        server = start();

        // Once it makes progress again, it holds the migration lock again: a second Tandem is refused, not let in.
        long atRestart = observer.status().current().orElseThrow().rowsDone();
        awaitRowsDoneAbove(observer, running, atRestart, Duration.ofSeconds(60));
        assertThat(running).as("the backfill right after it resumed").isNotDone();
        Tandem intruder = Tandem.configure().dataSource(db).migrations(dir).lockWait(Duration.ofMillis(300)).load();
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
        assertThat(Rows.scalar(db, "SELECT count(*) FROM m")).isEqualTo((long) ROWS);
        assertThat(Rows.scalar(db, "SELECT count(*) FROM m WHERE _tandem_backfilled IS NOT TRUE"))
                .as("rows not filled (%s)", outcomeText).isEqualTo(0L);
        assertThat(Rows.scalar(db, "SELECT count(*) FROM m WHERE _tandem_new_v IS DISTINCT FROM v * 10"))
                .as("rows whose new column is not up(v) (%s)", outcomeText).isEqualTo(0L);
        assertThat(Rows.scalar(db, "SELECT count(*) FROM m WHERE v <> id")).as("the old column untouched").isEqualTo(0L);
        Object rowsDone = Rows.scalar(db, "SELECT rows_done FROM tandem.backfill WHERE migration = '002_change' AND table_name = 'm'");
        assertThat((Long) rowsDone).as("checkpointed rows").isGreaterThanOrEqualTo(ROWS);
        assertThat(Rows.scalar(db, "SELECT done FROM tandem.backfill WHERE migration = '002_change' AND table_name = 'm'")).isEqualTo(true);

        // ...and it finished by itself: no error, and the migration moved on to backfilled.
        MigrationStatus seen = observer.status().current().orElseThrow();
        assertThat(failure).as("the backfill after the restart failed (status now: %s, activity %s):%n%s",
                seen.phase(), seen.activity(), stackTrace(failure)).isNull();
        assertThat(outcome.phase()).isEqualTo(Phase.BACKFILLED);

        MigrationStatus after = observer.status().current().orElseThrow();
        assertThat(after.phase()).isEqualTo(Phase.BACKFILLED);
        assertThat(after.activity().status()).isEqualTo("done");
    }

    /** zonky's stop gives up after 5 s; on a busy machine the postmaster may need longer to go. */
    private static void awaitStopped(Duration timeout) throws InterruptedException {
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
