package dev.tandem.cli;

import dev.tandem.Tandem;
import dev.tandem.testing.Migrations;
import dev.tandem.testing.Pg;
import dev.tandem.testing.Rows;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.File;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/** A backfill running in one process is paused, resumed and re-rated from another, as an operator would. */
class BackfillControlTest {
    @TempDir
    Path dir;

    @Test
    void pauseResumeAndRateFromASecondProcess() throws Exception {
        String schema = Pg.newSchema("control");
        Migrations files = new Migrations(dir).write("001_init.yaml", CrashTest.V1);
        Tandem tandem = Tandem.configure().dataSource(Pg.dataSource()).migrations(dir).schema(schema).load();
        tandem.migrate();
        Pg.exec("INSERT INTO \"" + schema + "\".a SELECT g, g FROM generate_series(1, 20000) g");
        files.write("002_change.yaml", "operations:\n  - add_column: {table: a, column: {name: w, type: integer}, up: \"v * 2\"}\n");
        tandem.expand();

        Process backfill = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", System.getProperty("java.class.path"), Main.class.getName(), "backfill", "--url", Pg.url(),
                "--schema", schema, "--migrations", dir.toString(), "--max-rows-per-second", "2000")
                .redirectErrorStream(true).redirectOutput(new File(dir.toFile(), "backfill.log")).start();
        try {
            await(() -> rowsDone(schema) > 0);
            Cli.Result paused = control(schema, "--pause");
            assertThat(paused.exitCode()).as(paused.toString()).isZero();
            await(() -> statusText(schema).contains("backfill: paused"));
            long held = rowsDone(schema);
            Thread.sleep(1500);
            assertThat(rowsDone(schema)).as("no batch while paused").isEqualTo(held);
            assertThat(backfill.isAlive()).isTrue();

            assertThat(control(schema, "--rate", "none").exitCode()).isZero();
            assertThat(control(schema, "--resume").exitCode()).isZero();
            assertThat(backfill.waitFor(60, TimeUnit.SECONDS)).isTrue();
            assertThat(backfill.exitValue()).isZero();
        } finally {
            backfill.destroyForcibly();
        }
        assertThat(Rows.scalar(Pg.dataSource(), "SELECT count(*) FROM \"" + schema + "\".a WHERE w = v * 2")).isEqualTo(20000L);
        assertThat(statusText(schema)).contains("backfill: done");
    }

    private Cli.Result control(String schema, String... args) {
        List<String> all = new java.util.ArrayList<>(List.of("backfill"));
        all.addAll(List.of(args));
        all.addAll(List.of("--url", Pg.url(), "--schema", schema, "--migrations", dir.toString()));
        return Cli.run(all.toArray(String[]::new));
    }

    private String statusText(String schema) {
        return Cli.run("status", "--url", Pg.url(), "--schema", schema, "--migrations", dir.toString()).out();
    }

    private static long rowsDone(String schema) {
        return ((Number) Rows.scalar(Pg.dataSource(), "SELECT coalesce(sum(rows_done), 0) FROM tandem.backfill WHERE schema_name = ?", schema)).longValue();
    }

    private static void await(java.util.function.BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) throw new AssertionError("timed out");
            Thread.sleep(100);
        }
    }
}
