package dev.tandem.backfill;

import dev.tandem.MigrationStatus;
import dev.tandem.Tandem;
import dev.tandem.state.StateStore;
import dev.tandem.testing.Background;
import dev.tandem.testing.Migrations;
import dev.tandem.testing.Pg;
import dev.tandem.testing.Rows;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.sql.Timestamp;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * What status says about a backfill is true: running only while its process is alive, interrupted once it is not,
 * and a pause or rate limit belongs to one migration's backfill (a rollback ends them).
 */
class BackfillLivenessTest {
    @TempDir
    Path dir;

    private Tandem setUp(String schema, int rows) {
        Migrations files = new Migrations(dir).write("001_init.yaml", BackfillTest.TABLE);
        Tandem tandem = Tandem.configure().dataSource(Pg.dataSource()).migrations(dir).schema(schema)
                .batchSize(20, 100).targetBatch(Duration.ofMillis(5)).load();
        tandem.migrate();
        Pg.exec("INSERT INTO \"" + schema + "\".m SELECT g, g FROM generate_series(1, " + rows + ") g");
        files.write("002_change.yaml", BackfillTest.WIDEN);
        tandem.expand();
        return tandem;
    }

    /** The state exactly as a backfill killed with SIGKILL leaves it: running, and last seen a while ago. */
    @Test
    void aBackfillWhoseProcessDiedIsInterruptedNotRunning() {
        String schema = Pg.newSchema("dead");
        Tandem tandem = setUp(schema, 100);
        Rows.update(Pg.dataSource(), "UPDATE tandem.migrations SET phase = 'backfilling', backfill_status = 'running',"
                + " backfill_reason = NULL, backfill_seen_at = now() - interval '1 minute'"
                + " WHERE schema_name = ? AND name = '002_change'", schema);

        MigrationStatus m = tandem.status().current().orElseThrow();
        assertThat(m.activity().status()).isEqualTo(StateStore.INTERRUPTED);
        assertThat(m.activity().reason()).isEqualTo("run tandem backfill to resume");

        // Paused when it died: it says that the next run will hold too.
        Rows.update(Pg.dataSource(), "UPDATE tandem.migrations SET backfill_status = 'paused', backfill_paused = true"
                + " WHERE schema_name = ? AND name = '002_change'", schema);
        assertThat(tandem.status().current().orElseThrow().activity().reason())
                .startsWith("run tandem backfill to resume").contains("--resume");

        // What ended by itself stays as it ended.
        Rows.update(Pg.dataSource(), "UPDATE tandem.migrations SET backfill_status = 'failed', backfill_reason = 'boom'"
                + " WHERE schema_name = ? AND name = '002_change'", schema);
        assertThat(tandem.status().current().orElseThrow().activity().status()).isEqualTo("failed");
    }

    /** A batch that takes longer than the staleness limit: the process is alive all along, and says so. */
    @Test
    void aBackfillInALongBatchKeepsBeating() throws Exception {
        String schema = Pg.newSchema("beat");
        Migrations files = new Migrations(dir).write("001_init.yaml", BackfillTest.TABLE);
        // By key, 100 rows in one batch of 100: at 0.15 s a row, one batch of 15 s.
        Tandem tandem = Tandem.configure().dataSource(Pg.dataSource()).migrations(dir).schema(schema)
                .batchSize(100, 100).byKey(true).load();
        tandem.migrate();
        Pg.exec("INSERT INTO \"" + schema + "\".m SELECT g, g FROM generate_series(1, 100) g");
        files.write("002_change.yaml", """
                operations:
                  - alter_column: {table: m, column: v, type: bigint, up: "(SELECT v * 10 FROM pg_sleep(0.15 + 0 * v))", down: "v::integer"}
                """);
        tandem.expand();
        CompletableFuture<?> running = CompletableFuture.runAsync(tandem::backfill, Background.THREADS);
        awaitSleepingBatch(schema);
        Timestamp first = seenAt(schema);
        Thread.sleep(StateStore.BACKFILL_STALE.toMillis() + 2000);
        assertThat(running).as("still in its one batch").isNotDone();
        MigrationStatus m = tandem.status().current().orElseThrow();
        assertThat(m.rowsDone()).isZero();
        assertThat(m.activity().status()).isEqualTo("running");
        assertThat(seenAt(schema)).isAfter(first);
        running.get(60, TimeUnit.SECONDS);
        assertThat(tandem.status().current().orElseThrow().activity().status()).isEqualTo("done");
    }

    @Test
    void rollbackEndsThePauseAndTheRateLimitOfItsBackfill() {
        String schema = Pg.newSchema("rbctl");
        Tandem tandem = setUp(schema, 100);
        tandem.pauseBackfill();
        tandem.backfillRate(10);
        tandem.rollback();
        MigrationStatus m = tandem.status().current().orElseThrow();
        assertThat(m.activity().paused()).isFalse();
        assertThat(m.activity().maxRowsPerSecond()).isNull();
        assertThat(m.activity().status()).isNull();

        // Expanded again, its backfill starts afresh: not paused, not limited, and it finishes.
        tandem.expand();
        assertThat(tandem.backfill().changed()).isTrue();
        assertThat(Rows.scalar(Pg.dataSource(), "SELECT count(*) FROM \"" + schema + "\".m WHERE _tandem_new_v = v * 10"))
                .isEqualTo(100L);
    }

    private static void awaitSleepingBatch(String schema) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (((Number) Rows.scalar(Pg.dataSource(), "SELECT count(*) FROM pg_stat_activity WHERE wait_event = 'PgSleep'"
                + " AND query LIKE ?", "%" + schema + "%")).longValue() == 0) {
            if (System.nanoTime() > deadline) throw new AssertionError("the backfill's batch never started");
            Thread.sleep(50);
        }
    }

    private static Timestamp seenAt(String schema) {
        return (Timestamp) Rows.scalar(Pg.dataSource(), "SELECT backfill_seen_at FROM tandem.migrations"
                + " WHERE schema_name = ? AND name = '002_change'", schema);
    }
}
