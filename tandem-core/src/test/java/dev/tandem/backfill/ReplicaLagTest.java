package dev.tandem.backfill;

import dev.tandem.MigrationStatus;
import dev.tandem.Outcome;
import dev.tandem.Tandem;
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

import javax.sql.DataSource;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/** The backfill holds while a real streaming replica lags behind, says so in status, and goes on when it catches up. */
class ReplicaLagTest {
    static final int ROWS = 20_000;

    static EmbeddedPostgres primary;
    static Replica replica;
    static ExecutorService background;

    @TempDir
    Path dir;

    @BeforeAll
    static void startPrimaryAndReplica() {
        primary = Replica.primary();
        replica = Replica.start(primary);
        background = Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "replica-lag-backfill");
            t.setDaemon(true);
            return t;
        });
    }

    @AfterAll
    static void stopThem() throws IOException {
        if (background != null) background.shutdownNow();
        if (replica != null) {
            try {
                replica.resumeReplay();
            } catch (RuntimeException ignored) {
                // Going away anyway.
            }
            replica.close();
        }
        if (primary != null) primary.close();
    }

    @Test
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    void holdsWhileTheReplicaLagsAndFinishesOnceItCatchesUp() throws Exception {
        DataSource db = primary.getPostgresDatabase();
        Migrations files = new Migrations(dir).write("001_init.yaml", BackfillTest.TABLE);
        Tandem setup = Tandem.configure().dataSource(db).migrations(dir).load();
        setup.migrate();
        Rows.update(db, "INSERT INTO m SELECT g, g FROM generate_series(1, " + ROWS + ") g");
        Rows.update(db, "CREATE TABLE wal_noise (id bigserial PRIMARY KEY, payload text)");
        files.write("002_change.yaml", BackfillTest.WIDEN);
        setup.expand();
        replica.awaitCaughtUp(Duration.ofSeconds(60));

        // Replay stops; the primary goes on writing, so the replica receives WAL it does not apply.
        replica.pauseReplay();
        Rows.update(db, "INSERT INTO wal_noise (payload) SELECT repeat('x', 100) FROM generate_series(1, 1000)");
        Thread.sleep(1500);

        Tandem runner = Tandem.configure().dataSource(db).migrations(dir)
                .replicas(List.of(replica.dataSource())).maxReplicaLag(Duration.ofMillis(500))
                .batchSize(200, 2000).targetBatch(Duration.ofMillis(50)).load();
        Tandem observer = Tandem.configure().dataSource(db).migrations(dir).load();
        CompletableFuture<Outcome> running = CompletableFuture.supplyAsync(runner::backfill, background);

        MigrationStatus throttled = awaitActivity(observer, "throttled", running, Duration.ofSeconds(30));
        assertThat(throttled.activity().reason()).as("why the backfill waits")
                .contains("replica 1").contains("behind").contains("limit 500 ms");
        long doneWhileLagging = throttled.rowsDone();
        assertThat(doneWhileLagging).as("rows done before the first batch").isZero();
        for (int i = 0; i < 4; i++) {
            Thread.sleep(250);
            MigrationStatus now = observer.status().current().orElseThrow();
            assertThat(now.rowsDone()).as("rows done while replay is paused").isEqualTo(doneWhileLagging);
            assertThat(now.activity().status()).isEqualTo("throttled");
        }
        assertThat(running).as("the backfill while the replica lags").isNotDone();
        assertThat(replica.replayPaused()).isTrue();

        replica.resumeReplay();
        Outcome outcome = running.get(90, TimeUnit.SECONDS);
        assertThat(outcome.phase()).isEqualTo(Phase.BACKFILLED);

        MigrationStatus after = observer.status().current().orElseThrow();
        assertThat(after.activity().status()).isEqualTo("done");
        assertThat(after.rowsDone()).isGreaterThanOrEqualTo(ROWS);
        assertThat(Rows.scalar(db, "SELECT count(*) FROM m WHERE _tandem_backfilled")).isEqualTo((long) ROWS);
        assertThat(Rows.scalar(db, "SELECT count(*) FROM m WHERE _tandem_new_v = v * 10")).isEqualTo((long) ROWS);

        // And the replica, once caught up, has the same filled rows.
        replica.awaitCaughtUp(Duration.ofSeconds(60));
        assertThat(Rows.scalar(replica.dataSource(), "SELECT count(*) FROM m WHERE _tandem_backfilled AND _tandem_new_v = v * 10"))
                .isEqualTo((long) ROWS);
    }

    private static MigrationStatus awaitActivity(Tandem tandem, String status, CompletableFuture<?> running, Duration timeout)
            throws Exception {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            MigrationStatus m = tandem.status().current().orElseThrow();
            if (m.activity() != null && status.equals(m.activity().status())) return m;
            if (running.isDone()) {
                running.get(); // throws if the backfill failed
                throw new AssertionError("the backfill finished without ever being " + status + "; last activity: " + m.activity());
            }
            Thread.sleep(50);
        }
        throw new AssertionError("backfill never became " + status + " within " + timeout.toSeconds() + " s: "
                + tandem.status().current().orElseThrow().activity());
    }
}
