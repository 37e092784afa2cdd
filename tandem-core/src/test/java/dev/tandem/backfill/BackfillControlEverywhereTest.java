package dev.tandem.backfill;

import dev.tandem.MigrationStatus;
import dev.tandem.Status;
import dev.tandem.Tandem;
import dev.tandem.TandemException;
import dev.tandem.TandemListener;
import dev.tandem.testing.Background;
import dev.tandem.testing.Migrations;
import dev.tandem.testing.Rows;
import dev.tandem.testing.TestDatabase;
import dev.tandem.testing.TestDatabase.OnEveryDatabase;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

/**
 * A running backfill steered from another Tandem (another terminal): paused, resumed, rate-limited, and named to
 * whoever waits for the migration lock it holds. One body for every database.
 */
class BackfillControlEverywhereTest {
    /** BackfillTest's change, with a down that both databases read (PostgreSQL's {@code ::} cast is not MariaDB's). */
    static final String WIDEN = """
            operations:
              - alter_column: {table: m, column: v, type: bigint, up: "v * 10", down: "v / 10"}
            """;

    @TempDir
    Path dir;

    private Tandem setUp(TestDatabase db, String schema, int rows) {
        Migrations files = new Migrations(dir).write("001_init.yaml", BackfillTest.TABLE);
        Tandem tandem = db.tandem(schema).migrations(dir).batchSize(20, 100).targetBatch(Duration.ofMillis(5)).load();
        tandem.migrate();
        db.exec("INSERT INTO " + db.dialect().qualify(schema, "m") + " SELECT g, g FROM " + db.series(rows));
        files.write("002_change.yaml", WIDEN);
        tandem.expand();
        return tandem;
    }

    /** Rows of m whose new form is filled and flagged: WIDEN's {@code up} applied. */
    static long filled(TestDatabase db, String schema) {
        return ((Number) Rows.scalar(db.dataSource(), "SELECT count(*) FROM " + db.dialect().qualify(schema, "m")
                + " WHERE _tandem_new_v = v * 10 AND _tandem_backfilled")).longValue();
    }

    @OnEveryDatabase
    void pausesAndResumesFromElsewhereAndSaysWhyInStatus(TestDatabase db) throws Exception {
        String schema = db.newSchema("pause");
        Tandem tandem = setUp(db, schema, 3000);
        Tandem other = db.tandem(schema).migrations(dir).load();
        other.pauseBackfill();
        CompletableFuture<Void> running = CompletableFuture.runAsync(tandem::backfill, Background.THREADS);
        MigrationStatus paused = awaitActivity(other, "paused");
        assertThat(paused.activity().reason()).contains("--resume");
        long doneWhilePaused = paused.rowsDone();
        Thread.sleep(600);
        assertThat(other.status().current().orElseThrow().rowsDone()).isEqualTo(doneWhilePaused);
        assertThat(running).isNotDone();
        other.resumeBackfill();
        running.get(60, TimeUnit.SECONDS);
        assertThat(other.status().current().orElseThrow().activity().status()).isEqualTo("done");
        assertThat(filled(db, schema)).isEqualTo(3000L);
    }

    @OnEveryDatabase
    void aRateLimitHoldsTheBackfillBackAndCanBeLifted(TestDatabase db) throws Exception {
        String schema = db.newSchema("rate");
        Tandem tandem = setUp(db, schema, 2000);
        tandem.backfillRate(500);
        AtomicLong progress = new AtomicLong();
        Tandem watched = db.tandem(schema).migrations(dir).batchSize(20, 100).listener(new TandemListener() {
            @Override
            public void backfillProgress(String migration, String table, long rowsDone, long rowsTotal, double rowsPerSecond) {
                progress.set(rowsDone);
            }
        }).load();
        CompletableFuture<Void> running = CompletableFuture.runAsync(watched::backfill, Background.THREADS);
        Thread.sleep(1000);
        assertThat(progress.get()).as("rows after 1 s at 500 rows/s").isBetween(1L, 900L);
        tandem.backfillRate(null);
        running.get(60, TimeUnit.SECONDS);
        assertThat(filled(db, schema)).isEqualTo(2000L);
    }

    /**
     * A rate raised while the backfill runs takes effect without a burst: the time spent at the lower rate is no credit
     * (a newcomer raised 5,000 to 10,000 rows/s and got 40,000 rows in 0.44 s).
     */
    @OnEveryDatabase
    void aRaisedRateLimitTakesEffectWithoutABurst(TestDatabase db) throws Exception {
        String schema = db.newSchema("raise");
        Tandem tandem = setUp(db, schema, 6000);
        tandem.backfillRate(200);
        CompletableFuture<Void> running = CompletableFuture.runAsync(
                db.tandem(schema).migrations(dir).batchSize(20, 100).load()::backfill, Background.THREADS);
        Thread.sleep(2500);
        long before = filled(db, schema);
        tandem.backfillRate(1000);
        Thread.sleep(1000);
        long after = filled(db, schema);
        // At most about half a second at 200 (the batch in flight) and a second at 1,000, plus a batch; 2.5 s of
        // credit at the new rate would have let about 2,000 rows through at once.
        assertThat(after - before).as("rows in the second after raising the rate from 200 to 1,000 rows/s")
                .isBetween(1L, 1300L);
        tandem.backfillRate(null);
        running.get(60, TimeUnit.SECONDS);
        assertThat(filled(db, schema)).isEqualTo(6000L);
    }

    /**
     * Waiting for the migration lock: told once who holds it (which Tandem command, process and host), then a counter
     * every 10 s, not a line per retry; and when the holder is a backfill, how to steer it from here.
     */
    @OnEveryDatabase
    void aWaitNamesTheBackfillHoldingTheLockAndCountsTheSeconds(TestDatabase db) throws Exception {
        String schema = db.newSchema("held");
        Tandem running = setUp(db, schema, 100);
        CompletableFuture<?> backfill = pausedBackfill(running);

        List<String> said = new CopyOnWriteArrayList<>();
        Tandem waiting = db.tandem(schema).migrations(dir).lockWait(Duration.ofSeconds(11)).listener(new TandemListener() {
            @Override
            public void message(String text) {
                said.add(text);
            }
        }).load();
        TandemException refused = catchThrowableOfType(waiting::rollback, TandemException.class);

        assertThat(refused.kind()).isEqualTo(TandemException.Kind.LOCKED);
        assertThat(said).hasSize(2);
        assertThat(said.get(1)).isEqualTo("still waiting for the migration lock: 10 s of 11 s");
        // Named as the Tandem command on every database: on MariaDB without the Performance Schema (its default) the
        // server shows no session's name, and the backfill's own record of its session id names it.
        String holder = "tandem backfill pid " + ProcessHandle.current().pid() + " on ";
        assertThat(refused.getMessage()).contains(holder).contains("`tandem backfill --pause`")
                .doesNotContain("without an application name");
        assertThat(said.get(0)).startsWith("waiting up to 11 s for the migration lock, held by " + holder)
                .contains("`tandem backfill --resume`");
        if (!db.showsSessionNames()) {
            // With the connection id KILL CONNECTION takes, and since when (from the record: MariaDB keeps no time).
            assertThat(refused.getMessage()).contains(", connection ").contains(", since ").contains("KILL CONNECTION")
                    .doesNotContain("pg_terminate_backend");
        }
        // status names it too, and says to let it finish (14), not to start a second backfill (11) that would wait.
        Status status = waiting.status();
        assertThat(status.runningCommand()).startsWith(holder);
        assertThat(status.next()).isEqualTo(Status.Next.RUNNING);

        running.resumeBackfill();
        backfill.get(60, TimeUnit.SECONDS);
        assertThat(filled(db, schema)).isEqualTo(100L);
        Status after = waiting.status();
        assertThat(after.runningCommand()).isNull();
        assertThat(after.next()).isEqualTo(Status.Next.CONTRACT);
    }

    /**
     * Steering needs a backfill to steer: set ahead of one, it says it applies to the next; once the migration is
     * backfilled it is refused with what comes next, not reported as "paused".
     */
    @OnEveryDatabase
    void steeringSaysWhenNoBackfillRunsAndIsRefusedOnceItIsDone(TestDatabase db) {
        String schema = db.newSchema("steer");
        Tandem tandem = setUp(db, schema, 50);
        assertThat(tandem.backfillRate(5000).message()).contains("no backfill is running now")
                .contains("next `tandem backfill`");
        tandem.backfill();
        for (Runnable steer : List.<Runnable>of(tandem::pauseBackfill, tandem::resumeBackfill, () -> tandem.backfillRate(10))) {
            TandemException refused = catchThrowableOfType(steer::run, TandemException.class);
            assertThat(refused).isNotNull();
            assertThat(refused.kind()).isEqualTo(TandemException.Kind.REFUSED);
            assertThat(refused.getMessage()).contains("002_change is backfilled").contains("contract");
        }
        assertThat(tandem.status().current().orElseThrow().activity().paused()).isFalse();
    }

    /**
     * migrate while another process's backfill runs: status says RUNNING, and migrate waits for that backfill and
     * carries on from where it left the migration, to contract; never to a rollback of the work in progress.
     */
    @OnEveryDatabase
    void migrateWaitsForABackfillRunningElsewhereAndCarriesOn(TestDatabase db) throws Exception {
        String schema = db.newSchema("migwait");
        Tandem running = setUp(db, schema, 100);
        CompletableFuture<?> backfill = pausedBackfill(running);
        Tandem other = db.tandem(schema).migrations(dir).lockWait(Duration.ofSeconds(60)).load();
        assertThat(other.status().next()).isEqualTo(Status.Next.RUNNING);
        CompletableFuture<List<dev.tandem.Outcome>> migrate = CompletableFuture.supplyAsync(other::migrate, Background.THREADS);
        Thread.sleep(500);
        running.resumeBackfill();
        backfill.get(60, TimeUnit.SECONDS);
        List<dev.tandem.Outcome> outcomes = migrate.get(60, TimeUnit.SECONDS);
        // (Once, RUNNING on a migration to backfill fell to rollback: the backfill's work undone, then expanded again.)
        assertThat(outcomes).extracting(dev.tandem.Outcome::phase).as(outcomes.toString())
                .doesNotContain(dev.tandem.state.Phase.ROLLED_BACK).endsWith(dev.tandem.state.Phase.COMPLETE);
        assertThat(other.status().migrations().get(1).phase()).isEqualTo(dev.tandem.state.Phase.COMPLETE);
    }

    /** A backfill running in the background, paused before its first batch: it holds the migration lock until resumed. */
    private static CompletableFuture<?> pausedBackfill(Tandem tandem) throws InterruptedException {
        tandem.pauseBackfill();
        CompletableFuture<?> backfill = CompletableFuture.runAsync(tandem::backfill, Background.THREADS);
        awaitActivity(tandem, "paused");
        return backfill;
    }

    static MigrationStatus awaitActivity(Tandem tandem, String status) throws InterruptedException {
        for (int i = 0; i < 400; i++) {
            MigrationStatus m = tandem.status().current().orElseThrow();
            if (m.activity() != null && status.equals(m.activity().status())) return m;
            Thread.sleep(25);
        }
        throw new AssertionError("backfill never became " + status + ": " + tandem.status().current().orElseThrow().activity());
    }
}
