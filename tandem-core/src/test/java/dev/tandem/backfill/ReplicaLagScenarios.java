package dev.tandem.backfill;

import dev.tandem.MigrationStatus;
import dev.tandem.Outcome;
import dev.tandem.Tandem;
import dev.tandem.state.Phase;
import dev.tandem.testing.LaggingReplica;
import dev.tandem.testing.Migrations;
import dev.tandem.testing.Rows;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Test bodies of the backfill's replica-lag throttle, shared by PostgreSQL ({@link ReplicaLagTest}) and MariaDB
 * ({@link MariaDbReplicaLagTest}): each runs a real backfill against a real replica whose applying the test stops.
 */
public final class ReplicaLagScenarios {
    public static final int ROWS = 10_000;
    static final Duration LIMIT = Duration.ofMillis(500);
    /** BackfillTest's table; widened with a {@code down} that every database takes. */
    static final String TABLE = BackfillTest.TABLE;
    static final String WIDEN = """
            operations:
              - alter_column: {table: m, column: v, type: bigint, up: "v * 10", down: "v"}
            """;

    private ReplicaLagScenarios() {
    }

    /**
     * A schema with {@link #ROWS} rows in table {@code m}, expanded to widen its column {@code v} ({@code up: v * 10}),
     * with migration files in {@code dir}, everything applied on the replica.
     */
    public static String expanded(LaggingReplica r, Path dir) {
        String schema = r.newSchema("lag");
        Migrations files = new Migrations(dir).write("001_init.yaml", TABLE);
        Tandem setup = r.tandem(schema).migrations(dir).load();
        setup.migrate();
        Rows.update(r.primaryDataSource(), "INSERT INTO " + r.dialect().qualify(schema, "m") + " SELECT g, g FROM " + r.database().series(ROWS));
        files.write("002_change.yaml", WIDEN);
        setup.expand();
        r.awaitCaughtUp(Duration.ofSeconds(60));
        return schema;
    }

    /** A backfill that watches the replica with a limit of {@link #LIMIT}, paced so that it runs for seconds. */
    static CompletableFuture<Outcome> backfill(LaggingReplica r, String schema, Path dir, ExecutorService background) {
        Tandem runner = r.tandem(schema).migrations(dir)
                .replicas(List.of(r.replicaForTandem())).maxReplicaLag(LIMIT)
                .batchSize(100, 500).targetBatch(Duration.ofMillis(50)).maxRowsPerSecond(2_000).load();
        return CompletableFuture.supplyAsync(runner::backfill, background);
    }

    /**
     * The replica stops applying while the backfill runs: the backfill holds, {@code status} says the replica is
     * N ms behind, no row is filled while it lags; once it applies again the backfill goes on and finishes, and the
     * replica ends with the same filled rows.
     */
    static void holdsWhileTheReplicaLagsAndFinishesOnceItCatchesUp(LaggingReplica r, Path dir, ExecutorService background)
            throws Exception {
        String schema = expanded(r, dir);
        Tandem observer = r.tandem(schema).migrations(dir).load();
        CompletableFuture<Outcome> running = backfill(r, schema, dir, background);
        await(observer, running, "rows filled", m -> m.rowsDone() > 0, Duration.ofSeconds(30));

        r.pauseReplay();
        MigrationStatus throttled = await(observer, running, "throttled",
                m -> m.activity() != null && "throttled".equals(m.activity().status()), Duration.ofSeconds(30));
        assertThat(throttled.activity().reason()).as("why the backfill waits")
                .matches("replica 1 is \\d+ ms behind \\(limit 500 ms\\)");
        assertHeld(observer, running, r);

        r.resumeReplay();
        finishes(r, schema, observer, running);
    }

    /** For a few checks, no row is filled and status still says throttled. */
    static MigrationStatus assertHeld(Tandem observer, CompletableFuture<Outcome> running, LaggingReplica r) throws Exception {
        // Let a batch that was under way when the hold began be counted.
        Thread.sleep(600);
        MigrationStatus held = observer.status().current().orElseThrow();
        assertThat(held.rowsDone()).as("rows done when the hold began").isLessThan(ROWS);
        for (int i = 0; i < 4; i++) {
            Thread.sleep(250);
            MigrationStatus now = observer.status().current().orElseThrow();
            assertThat(now.rowsDone()).as("rows done while the replica does not apply").isEqualTo(held.rowsDone());
            assertThat(now.activity().status()).isEqualTo("throttled");
        }
        assertThat(running).as("the backfill while the replica lags").isNotDone();
        return held;
    }

    /** The backfill finishes, every row is filled on the primary and, once it caught up, on the replica. */
    static void finishes(LaggingReplica r, String schema, Tandem observer, CompletableFuture<Outcome> running) throws Exception {
        Outcome outcome = running.get(90, TimeUnit.SECONDS);
        assertThat(outcome.phase()).isEqualTo(Phase.BACKFILLED);
        MigrationStatus after = observer.status().current().orElseThrow();
        assertThat(after.activity().status()).isEqualTo("done");
        assertThat(after.rowsDone()).isGreaterThanOrEqualTo(ROWS);
        String filled = "SELECT COUNT(*) FROM " + r.dialect().qualify(schema, "m") + " WHERE "
                + r.dialect().quote("_tandem_backfilled") + " AND " + r.dialect().quote("_tandem_new_v") + " = v * 10";
        assertThat(((Number) Rows.scalar(r.primaryDataSource(), filled)).longValue()).isEqualTo(ROWS);
        r.awaitCaughtUp(Duration.ofSeconds(60));
        assertThat(((Number) Rows.scalar(r.replica(), filled)).longValue()).as("filled rows on the replica").isEqualTo(ROWS);
    }

    /** Waits until {@code status} shows what {@code until} tests; fails if the backfill ends first. */
    static MigrationStatus await(Tandem tandem, CompletableFuture<?> running, String what,
                                 java.util.function.Predicate<MigrationStatus> until, Duration timeout) throws Exception {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            MigrationStatus m = tandem.status().current().orElseThrow();
            if (until.test(m)) {
                System.out.println(what + ": " + m.activity());
                return m;
            }
            if (running.isDone()) {
                running.get(); // throws if the backfill failed
                throw new AssertionError("the backfill finished before " + what + "; last activity: " + m.activity());
            }
            Thread.sleep(50);
        }
        throw new AssertionError("never " + what + " within " + timeout.toSeconds() + " s: "
                + tandem.status().current().orElseThrow().activity());
    }
}
