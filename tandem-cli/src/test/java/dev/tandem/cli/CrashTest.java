package dev.tandem.cli;

import dev.tandem.Tandem;
import dev.tandem.testing.CatalogSnapshot;
import dev.tandem.testing.Migrations;
import dev.tandem.testing.Pg;
import dev.tandem.testing.Rows;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.File;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The CLI as its own process, killed with SIGKILL in the middle of expand, of backfill and of contract; the same
 * command run again completes, and the end state equals that of a run that was never interrupted.
 */
class CrashTest {
    static final String V1 = """
            operations:
              - create_table:
                  table: a
                  columns:
                    - {name: id, type: bigint, primary_key: true}
                    - {name: v, type: integer, nullable: false}
              - create_table:
                  table: b
                  columns:
                    - {name: id, type: bigint, primary_key: true}
                    - {name: name, type: text, nullable: false}
                    - {name: flag, type: integer, nullable: false}
            """;
    /** Touches a first, then b: with b locked by someone else, expand and contract stop half-way. */
    static final String V2 = """
            operations:
              - add_column: {table: a, column: {name: w, type: integer, nullable: false}, up: "v * 2"}
              - rename_column: {table: b, from: name, to: title}
              - alter_column: {table: b, column: flag, type: boolean, up: "flag <> 0", down: "CASE WHEN flag THEN 1 ELSE 0 END"}
            """;
    static final int ROWS = 20_000;

    @TempDir
    Path dir;

    @Test
    void killedExpandBackfillAndContractEachCompleteWhenRunAgain() throws Exception {
        String crashed = prepare("crash");
        String clean = prepare("clean");
        Tandem cleanRun = tandem(clean);
        cleanRun.expand();
        cleanRun.backfill();
        cleanRun.contract();

        // expand: b is locked, so expand gets past a's steps and then retries on b until it is killed.
        try (Connection holder = Pg.dataSource().getConnection(); Statement st = holder.createStatement()) {
            holder.setAutoCommit(false);
            st.execute("LOCK TABLE \"" + crashed + "\".b IN ACCESS SHARE MODE");
            Process p = cli(crashed, "expand");
            awaitState(() -> stepsDone(crashed) > 0, "expand to get past its first steps");
            kill(p);
            holder.rollback();
        }
        assertThat(phase(crashed)).isEqualTo("expanding");
        assertThat(cli(crashed, "expand").waitFor()).isZero();

        // backfill: rate-limited so that it is still running when killed.
        tandem(crashed).backfillRate(4000);
        Process p = cli(crashed, "backfill");
        awaitState(() -> rowsDone(crashed) > 0, "backfill to commit its first batches");
        kill(p);
        assertThat(phase(crashed)).isEqualTo("backfilling");
        assertThat(rowsDone(crashed)).isLessThan(2L * ROWS);
        tandem(crashed).backfillRate(null);
        assertThat(cli(crashed, "backfill").waitFor()).isZero();

        // contract: validating a's constraint goes through, switching b waits for its lock until killed. Only checks
        // have run by then, so the migration is still backfilled (and could still be rolled back).
        try (Connection holder = Pg.dataSource().getConnection(); Statement st = holder.createStatement()) {
            holder.setAutoCommit(false);
            st.execute("LOCK TABLE \"" + crashed + "\".b IN ACCESS SHARE MODE");
            Process c = cli(crashed, "contract");
            awaitState(() -> contractStepsDone(crashed) > 0, "contract to get past its first steps");
            kill(c);
            holder.rollback();
        }
        assertThat(phase(crashed)).isEqualTo("backfilled");
        assertThat(cli(crashed, "contract").waitFor()).isZero();

        assertThat(phase(crashed)).isEqualTo("complete");
        assertThat(CatalogSnapshot.of(crashed)).isEqualTo(CatalogSnapshot.of(clean));
        for (String table : List.of("a", "b")) {
            assertThat(Rows.query(Pg.dataSource(), "SELECT * FROM \"" + crashed + "\"." + table + " ORDER BY id"))
                    .as(table).isEqualTo(Rows.query(Pg.dataSource(), "SELECT * FROM \"" + clean + "\"." + table + " ORDER BY id"));
        }
    }

    private String prepare(String prefix) {
        String schema = Pg.newSchema(prefix);
        Path migrations = dir.resolve(schema);
        new Migrations(mkdir(migrations)).write("001_init.yaml", V1);
        tandem(schema).migrate();
        Pg.exec(("INSERT INTO %1$s.a SELECT g, g FROM generate_series(1, %2$d) g;"
                + "INSERT INTO %1$s.b SELECT g, 'n' || g, g %% 2 FROM generate_series(1, %2$d) g").formatted("\"" + schema + "\"", ROWS));
        new Migrations(migrations).write("002_change.yaml", V2);
        return schema;
    }

    private static Path mkdir(Path p) {
        p.toFile().mkdirs();
        return p;
    }

    private Tandem tandem(String schema) {
        return Tandem.configure().dataSource(Pg.dataSource()).migrations(dir.resolve(schema)).schema(schema)
                .batchSize(100, 500).load();
    }

    /** The CLI in a JVM of its own, as an operator runs it. */
    private Process cli(String schema, String command) throws Exception {
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", System.getProperty("java.class.path"), Main.class.getName(), command,
                "--url", Pg.url(), "--schema", schema, "--migrations", dir.resolve(schema).toString(), "--quiet"));
        return new ProcessBuilder(cmd).redirectErrorStream(true)
                .redirectOutput(new File(dir.toFile(), command + "-" + System.nanoTime() + ".log")).start();
    }

    private static void kill(Process p) throws InterruptedException {
        p.destroyForcibly(); // SIGKILL on Linux: no shutdown hooks, no cleanup.
        assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
    }

    private static void awaitState(BooleanSupplier condition, String what) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) throw new AssertionError("timed out waiting for " + what);
            Thread.sleep(50);
        }
    }

    private static String phase(String schema) {
        return (String) Rows.scalar(Pg.dataSource(), "SELECT phase FROM tandem.migrations WHERE schema_name = ? AND name = '002_change'", schema);
    }

    private static int stepsDone(String schema) {
        Object n = Rows.scalar(Pg.dataSource(), "SELECT steps_done FROM tandem.migrations WHERE schema_name = ? AND name = '002_change'", schema);
        return n == null ? 0 : (Integer) n;
    }

    private static long contractStepsDone(String schema) {
        return ((Number) Rows.scalar(Pg.dataSource(), "SELECT count(*) FROM tandem.history WHERE schema_name = ?"
                + " AND migration = '002_change' AND phase = 'contracting' AND event = 'step done'", schema)).longValue();
    }

    private static long rowsDone(String schema) {
        Object n = Rows.scalar(Pg.dataSource(), "SELECT coalesce(sum(rows_done), 0) FROM tandem.backfill WHERE schema_name = ? AND migration = '002_change'", schema);
        return ((Number) n).longValue();
    }
}
