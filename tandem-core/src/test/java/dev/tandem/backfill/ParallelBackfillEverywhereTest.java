package dev.tandem.backfill;

import dev.tandem.Tandem;
import dev.tandem.TandemListener;
import dev.tandem.testing.Background;
import dev.tandem.testing.Migrations;
import dev.tandem.testing.TestDatabase;
import dev.tandem.testing.TestDatabase.OnEveryDatabase;
import org.junit.jupiter.api.io.TempDir;

import javax.sql.DataSource;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A backfill with several workers ({@code workers(n)}, {@code --workers}): each step fills that many key ranges at
 * once, every row ends filled while the previous version writes, and a step that fails in part is walked again without
 * a row lost or counted twice. One body for every database; PostgreSQL walks by key for it.
 */
class ParallelBackfillEverywhereTest {
    @TempDir
    Path dir;

    private void setUp(TestDatabase db, String schema, int rows) {
        Migrations files = new Migrations(dir).write("001_init.yaml", BackfillTest.TABLE);
        db.tandem(schema).migrations(dir).load().migrate();
        db.exec("INSERT INTO " + db.dialect().qualify(schema, "m") + " SELECT g, g FROM " + db.series(rows));
        files.write("002_change.yaml", BackfillControlEverywhereTest.WIDEN);
        db.tandem(schema).migrations(dir).load().expand();
    }

    /** Fixed batches of 100 rows, so that a step's rows tell how many ranges it filled. */
    private Tandem.Config parallel(TestDatabase db, String schema, int workers) {
        return db.tandem(schema).migrations(dir).batchSize(100, 100).targetBatch(Duration.ofMillis(5)).byKey(true)
                .workers(workers).niceRatio(0);
    }

    private static long filled(TestDatabase db, String schema) {
        return BackfillControlEverywhereTest.filled(db, schema);
    }

    @OnEveryDatabase
    void threeWorkersFillThreeRangesAStepAndEveryRowWhileThePreviousVersionWrites(TestDatabase db) throws Exception {
        String schema = db.newSchema("par");
        setUp(db, schema, 3000);
        List<Long> progress = new CopyOnWriteArrayList<>();
        Tandem tandem = parallel(db, schema, 3).listener(new TandemListener() {
            @Override
            public void backfillProgress(String migration, String table, long rowsDone, long rowsTotal, double rowsPerSecond) {
                progress.add(rowsDone);
            }
        }).load();
        AtomicBoolean stop = new AtomicBoolean();
        AtomicLong writes = new AtomicLong();
        DataSource previous = db.application(schema, "001_init");
        CompletableFuture<Void> writer = CompletableFuture.runAsync(() -> {
            try (Connection c = previous.getConnection();
                 PreparedStatement ps = c.prepareStatement("UPDATE m SET v = v + 1 WHERE id = ?")) {
                while (!stop.get()) {
                    ps.setLong(1, ThreadLocalRandom.current().nextLong(1, 3001));
                    ps.executeUpdate();
                    writes.incrementAndGet();
                }
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        }, Background.THREADS);
        try {
            tandem.backfill();
        } finally {
            stop.set(true);
            writer.get(30, TimeUnit.SECONDS);
        }

        assertThat(writes.get()).as("the previous version's writes during the backfill").isPositive();
        assertThat(filled(db, schema)).isEqualTo(3000L);
        assertThat(tandem.status().current().orElseThrow().rowsDone()).isEqualTo(3000L);
        // Each step but the walk's end adds three ranges of 100 rows: one worker would add 100.
        assertThat(progress.get(0)).isEqualTo(300L);
        List<Long> steps = new ArrayList<>();
        for (int i = 1; i < progress.size(); i++) steps.add(progress.get(i) - progress.get(i - 1));
        assertThat(steps).isNotEmpty().allMatch(step -> step == 300L || step == 0L);
    }

    /**
     * Another session holds a row of the second range past the lock timeout of a batch (5 s): that worker fails, the
     * first range's worker has committed, and the step is walked again until the lock is gone. No row is left unfilled
     * and none is counted twice.
     */
    @OnEveryDatabase
    void aRangeHeldBackByARowLockIsWalkedAgainAndNoRowIsCountedTwice(TestDatabase db) throws Exception {
        String schema = db.newSchema("parfail");
        setUp(db, schema, 1000);
        Tandem tandem = parallel(db, schema, 2).load();
        CompletableFuture<Void> backfill;
        long started;
        try (Connection holder = db.dataSource().getConnection(); Statement st = holder.createStatement()) {
            holder.setAutoCommit(false);
            st.executeQuery("SELECT v FROM " + db.dialect().qualify(schema, "m") + " WHERE id = 150 FOR UPDATE").close();
            started = System.nanoTime();
            backfill = CompletableFuture.runAsync(tandem::backfill, Background.THREADS);
            Thread.sleep(7000);
            assertThat(backfill).as("the backfill while a row of its first step is locked").isNotDone();
            assertThat(filled(db, schema)).as("rows filled while the second range could not be").isLessThan(1000L);
            holder.rollback();
        }
        backfill.get(60, TimeUnit.SECONDS);
        assertThat(System.nanoTime() - started).isGreaterThan(TimeUnit.SECONDS.toNanos(7));
        assertThat(filled(db, schema)).isEqualTo(1000L);
        assertThat(tandem.status().current().orElseThrow().rowsDone()).isEqualTo(1000L);
    }

    /** A page walk (PostgreSQL's default) is one worker's: --workers is said not to apply, not silently ignored. */
    @OnEveryDatabase
    void aPageWalkSaysWorkersDoNotApplyToIt(TestDatabase db) {
        String schema = db.newSchema("parpage");
        setUp(db, schema, 500);
        List<String> said = new CopyOnWriteArrayList<>();
        db.tandem(schema).migrations(dir).workers(4).listener(new TandemListener() {
            @Override
            public void message(String text) {
                said.add(text);
            }
        }).load().backfill();
        assertThat(filled(db, schema)).isEqualTo(500L);
        // MariaDB walks by key always (InnoDB's key order is its page order): the workers apply, nothing to say.
        assertThat(said.stream().filter(m -> m.contains("--workers applies to a walk by key")).count())
                .isEqualTo(db == TestDatabase.POSTGRES ? 1L : 0L);
    }
}
