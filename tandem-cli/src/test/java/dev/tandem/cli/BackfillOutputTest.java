package dev.tandem.cli;

import dev.tandem.Tandem;
import dev.tandem.testing.Background;
import dev.tandem.testing.Migrations;
import dev.tandem.testing.Pg;
import dev.tandem.testing.Rows;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import static org.assertj.core.api.Assertions.assertThat;

/** What a backfill says in its own output: progress even while no batch ends, and why it holds or goes slowly. */
class BackfillOutputTest {
    @TempDir
    Path dir;

    @Test
    void aLogWithoutATerminalPrintsALineAtLeastEveryTenSeconds() {
        AtomicLong now = new AtomicLong();
        StringWriter text = new StringWriter();
        BackfillLog log = new BackfillLog(new PrintWriter(text, true), now::get, 2_000);
        log.update("002_email", "users", 1_000, 10_000, 5_000);
        now.addAndGet(9_000_000_000L);
        log.tick();                                                // 9 s without a batch: not yet
        now.addAndGet(2_000_000_000L);
        log.tick();                                                // 11 s: a line
        now.addAndGet(1_000_000_000L);
        log.tick();                                                // just printed: silent
        now.addAndGet(10_000_000_000L);
        log.tick();
        log.update("002_email", "users", 10_000, 10_000, 0);
        log.close();
        assertThat(text.toString().lines()).containsExactly(
                "002_email: backfill users: 1,000 of about 10,000 rows (10%), no batch finished for 11.0 s",
                "002_email: backfill users: 1,000 of about 10,000 rows (10%), no batch finished for 22.0 s",
                "002_email: backfill users: 10,000/10,000 rows (100%) done in 22.0 s, 409 rows/s");
    }

    /** Paused before it starts, rate limited: it says both once, not at every check, and what to run. */
    @Test
    void aPausedAndRateLimitedBackfillSaysSoOnceInItsOwnOutput() throws Exception {
        String schema = Pg.newSchema("says");
        Migrations files = new Migrations(dir).write("001_init.yaml", CrashTest.V1);
        Tandem tandem = Tandem.configure().dataSource(Pg.dataSource()).migrations(dir).schema(schema).load();
        tandem.migrate();
        Pg.exec("INSERT INTO \"" + schema + "\".a SELECT g, g FROM generate_series(1, 3000) g");
        files.write("002_change.yaml", "operations:\n  - add_column: {table: a, column: {name: w, type: integer}, up: \"v * 2\"}\n");
        tandem.expand();
        tandem.pauseBackfill();

        CompletableFuture<Cli.Result> run = CompletableFuture.supplyAsync(() -> Cli.run("backfill",
                "--max-rows-per-second", "20000", "--url", Pg.url(), "--schema", schema, "--migrations", dir.toString()),
                Background.THREADS);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (!"paused".equals(Rows.scalar(Pg.dataSource(), "SELECT backfill_status FROM tandem.migrations"
                + " WHERE schema_name = ? AND name = '002_change'", schema))) {
            if (System.nanoTime() > deadline) throw new AssertionError("the backfill never held");
            Thread.sleep(100);
        }
        Thread.sleep(1500); // three more checks while paused
        tandem.resumeBackfill();
        Cli.Result r = run.get(60, TimeUnit.SECONDS);

        assertThat(r.exitCode()).as(r.toString()).isZero();
        assertThat(r.err().lines().filter(l -> l.contains("paused"))).as(r.toString())
                .containsExactly("002_change: backfill paused — run tandem backfill --resume");
        assertThat(r.err().lines().filter(l -> l.contains("rate limited"))).as(r.toString()).containsExactly(
                "002_change: backfill rate limited to 20000 rows/s (change it with tandem backfill --rate N, lift it with --rate none)");
        assertThat(r.err()).contains("002_change: backfill running again (resumed)");
    }
}
