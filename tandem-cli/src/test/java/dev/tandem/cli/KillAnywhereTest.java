package dev.tandem.cli;

import dev.tandem.testing.CatalogSnapshot;
import dev.tandem.testing.MariaDbSnapshot;
import dev.tandem.testing.Migrations;
import dev.tandem.testing.Pg;
import dev.tandem.testing.Rows;
import dev.tandem.testing.TestDatabase;
import dev.tandem.testing.TestDatabase.OnEveryDatabase;
import org.junit.jupiter.api.io.TempDir;

import javax.sql.DataSource;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Random;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Kill -9 anywhere: the CLI, each command in a JVM of its own, is killed with SIGKILL at 30 random moments spread
 * over expand, backfill, rollback, a second expand and backfill, and contract of a migration with a type change, a
 * rename and a new NOT NULL column on a 20k-row table, while both application versions write it. After each kill
 * the same command is run again. At the end the catalog equals that of a run that was never interrupted, every row
 * equals that run's row with exactly the writes the applications committed applied to it, and nothing is lost.
 *
 * <p>The moments are random but reproducible: the seed is printed, and {@code -Dtandem.kill.seed=N} repeats a run.
 * A kill lands at a uniformly random time within how long the same command took in the uninterrupted run, counted
 * from the moment the process opened its first database session (so no kill is wasted on JVM start-up).
 *
 * <p>On every database, with the same seed and number of kills: a MariaDB run takes about as long (the kills there land
 * between DDL statements that each commit by themselves, and at checkpoint writes). Its end state is compared by
 * {@link MariaDbSnapshot}, the CLI logs in as a user of its own there (so that the process list shows its sessions),
 * and the rows are read through the new version's views, since MariaDB keeps physical names.
 */
class KillAnywhereTest {
    static final String V1 = """
            operations:
              - create_table:
                  table: items
                  columns:
                    - {name: id, type: bigint, primary_key: true}
                    - {name: name, type: text, nullable: false}
                    - {name: flag, type: integer, nullable: false}
                    - {name: v, type: integer, nullable: false}
                    - {name: n, type: integer, nullable: false, default: "0"}
            """;
    static final String V2 = """
            operations:
              - add_column: {table: items, column: {name: w, type: integer, nullable: false}, up: "v * 2"}
              - rename_column: {table: items, from: name, to: title}
              - alter_column: {table: items, column: flag, type: boolean, up: "flag <> 0", down: "CASE WHEN flag THEN 1 ELSE 0 END"}
            """;
    static final int ROWS = 20_000;
    static final int KILLS = 30;
    /** Slow enough that a backfill lasts a few seconds and kills spread over its batches. */
    static final String BACKFILL_RATE = "8000";

    /** The commands killed; rollback makes room for another expand, backfill and rollback until enough kills landed. */
    enum Stage {
        EXPAND("expand"), BACKFILL("backfill"), ROLLBACK("rollback"), CONTRACT("contract");

        final String command;

        Stage(String command) {
            this.command = command;
        }
    }

    /** At most this many kills per command per round, so that they spread over rounds; backfill lasts longest. */
    static final int KILLS_PER_ROUND = 3;
    static final int BACKFILL_KILLS_PER_ROUND = 5;
    /** Kills kept for contract, which comes once, last. */
    static final int CONTRACT_KILLS = 4;

    @TempDir
    Path dir;

    final Map<Long, AtomicInteger> increments = new ConcurrentHashMap<>();
    final Map<Stage, Duration> took = new LinkedHashMap<>();
    final List<String> kills = new ArrayList<>();
    Random random;
    String killed;
    int runs;
    CliDatabase db;

    @OnEveryDatabase
    void killsLoseNothingAndEndAsAnUninterruptedRun(TestDatabase database) throws Exception {
        db = CliDatabase.of(database);
        long seed = Long.getLong("tandem.kill.seed", 20261129L);
        System.out.println("KillAnywhereTest seed " + seed + " (repeat with -Dtandem.kill.seed=" + seed + ")");
        random = new Random(seed);
        String clean = prepare("clean");
        killed = prepare("killed");

        // The uninterrupted run: one round with a rollback, then contract. How long each command works sets the
        // window its kills are drawn from.
        for (Stage stage : List.of(Stage.EXPAND, Stage.BACKFILL, Stage.ROLLBACK, Stage.EXPAND, Stage.BACKFILL, Stage.CONTRACT)) {
            CliProcess run = start(clean, stage.command);
            // A quick command may finish before its session is seen: then it took less than one poll.
            run.awaitWork(db);
            long from = System.nanoTime();
            assertThat(run.waitFor()).as("uninterrupted %s: %s", stage, run.log()).isZero();
            took.merge(stage, Duration.ofNanos(System.nanoTime() - from), (x, y) -> x.compareTo(y) >= 0 ? x : y);
        }
        System.out.println("uninterrupted run: " + took);

        int writers = 4;
        VersionWriter oldBase = writer("old-base", 0, writers, false, baseTable(killed), random);
        VersionWriter oldView = writer("old-view", 1, writers, false, database.application(killed, "001_init"), random);
        DataSource newVersion = database.application(killed, "002_change");
        VersionWriter new1 = writer("new-1", 2, writers, true, newVersion, random);
        VersionWriter new2 = writer("new-2", 3, writers, true, newVersion, random);
        List<VersionWriter> all = List.of(oldBase, oldView, new1, new2);
        oldBase.start();
        oldView.start();

        int rounds = 0;
        while (true) {
            rounds++;
            killWhileRunning(Stage.EXPAND, Math.min(KILLS_PER_ROUND, KILLS - CONTRACT_KILLS - kills.size()));
            killWhileRunning(Stage.BACKFILL, Math.min(BACKFILL_KILLS_PER_ROUND, KILLS - CONTRACT_KILLS - kills.size()));
            // The new version is ready once its backfill completed: only then is it rolled out.
            new1.start();
            new2.start();
            if (kills.size() >= KILLS - CONTRACT_KILLS) break;
            Thread.sleep(300);
            // The new version cannot outlive a rollback: its schema goes.
            new1.stop();
            new2.stop();
            killWhileRunning(Stage.ROLLBACK, Math.min(KILLS_PER_ROUND, KILLS - CONTRACT_KILLS - kills.size()));
        }
        // Contract removes what the old version uses: it is stopped first, as in a rolling upgrade.
        oldBase.stop();
        oldView.stop();
        killWhileRunning(Stage.CONTRACT, KILLS - kills.size());
        Thread.sleep(300);
        new1.stop();
        new2.stop();

        long committed = all.stream().mapToLong(w -> w.committed.get()).sum();
        System.out.println("kills (" + kills.size() + " in " + runs + " runs, " + rounds + " rounds): " + kills);
        System.out.println("writes committed by the applications: " + committed);
        assertThat(all.stream().flatMap(w -> w.errors.stream()).toList()).as("errors the applications saw").isEmpty();
        assertThat(kills).as("kills that landed while a command was working").hasSize(KILLS);
        assertThat(phase(killed)).isEqualTo("complete");
        assertThat(catalog(killed)).isEqualTo(catalog(clean));
        assertThat(versionSchemas(killed)).isEqualTo(versionSchemas(clean));

        Map<Long, Map<String, Object>> expected = expectedRows(clean, all);
        Map<Long, Map<String, Object>> actual = rows(killed);
        List<String> lost = new ArrayList<>();
        for (Map.Entry<Long, Map<String, Object>> e : expected.entrySet()) {
            if (!Objects.equals(e.getValue(), actual.get(e.getKey()))) {
                lost.add("expected " + e.getValue() + " but found " + actual.get(e.getKey()));
            }
        }
        for (Long id : actual.keySet()) {
            if (!expected.containsKey(id)) lost.add("unexpected row " + actual.get(id));
        }
        assertThat(committed).as("writes committed while Tandem was killed").isGreaterThan(1000);
        assertThat(lost).as("rows that differ from the uninterrupted run plus the committed writes").isEmpty();
    }

    /**
     * Runs {@code stage}'s command and kills it at a random moment, {@code wanted} times or until a run finishes before
     * its kill; then runs it once more, to the end. Half the kills are sent at a random time within how long the command
     * worked in the uninterrupted run; the other half stop the command at the first checkpoint it writes after that
     * time (inside the transaction of the step it just ran) and kill it there.
     */
    private void killWhileRunning(Stage stage, int wanted) throws InterruptedException {
        int landed = 0;
        while (landed < wanted) {
            CliProcess run = start(killed, stage.command);
            runs++;
            if (!run.awaitWork(db)) {
                // Done between two looks at the server's sessions.
                System.out.println(stage + ": done before its session was seen");
                assertSucceeded(stage, run.exitCode(), run, killed);
                return;
            }
            // Contract comes once: its moments come from the first half of its run, where it is sure to be.
            double window = stage == Stage.CONTRACT ? 0.5 : 1.0;
            long delay = (long) (random.nextDouble() * window * took.get(stage).toNanos());
            boolean gated = random.nextBoolean();
            if (!(gated ? run.killAtNextCheckpoint(delay, killed, db) : run.killAfter(delay))) {
                System.out.println(stage + (gated ? " gated" : "") + " +" + delay / 1_000_000 + "ms: finished first, exit " + run.exitCode());
                assertSucceeded(stage, run.exitCode(), run, killed);
                return;
            }
            landed++;
            kills.add(stage + (gated ? " at the checkpoint after +" : " at +") + delay / 1_000_000 + "ms");
            awaitNoToolSessions();
        }
        CliProcess run = start(killed, stage.command);
        runs++;
        assertSucceeded(stage, run.waitFor(), run, killed);
    }

    /**
     * A command run again after a kill succeeds, also when the killed run had already finished its work (its last
     * statement, sent before the kill, still completes on the server): it then says it is already done.
     */
    private static void assertSucceeded(Stage stage, int exitCode, CliProcess run, String schema) {
        assertThat(exitCode).as("%s: %s", stage, run.log()).isZero();
    }

    /** The uninterrupted run's rows, with what each writer committed applied to them, plus the rows they inserted. */
    private Map<Long, Map<String, Object>> expectedRows(String clean, List<VersionWriter> writers) {
        Map<Long, Map<String, Object>> expected = rows(clean);
        assertThat(expected).hasSize(ROWS);
        for (VersionWriter w : writers) {
            for (Map.Entry<Long, VersionWriter.Owned> e : w.owned.entrySet()) {
                VersionWriter.Owned o = e.getValue();
                Map<String, Object> row = expected.computeIfAbsent(e.getKey(), id -> {
                    Map<String, Object> inserted = new LinkedHashMap<>();
                    inserted.put("id", id);
                    inserted.put("title", null);
                    inserted.put("flag", null);
                    inserted.put("v", o.v());
                    inserted.put("w", o.v() * 2);
                    inserted.put("n", 0);
                    return inserted;
                });
                row.put("title", o.title());
                row.put("flag", o.flag());
            }
        }
        increments.forEach((id, n) -> expected.get(id).put("n", n.get()));
        return expected;
    }

    /**
     * The rows as the new version sees them: the table itself on PostgreSQL, whose contract renamed its columns; its
     * view on MariaDB, whose physical names stay (title is still the column name, flag a shadow column).
     */
    private Map<Long, Map<String, Object>> rows(String schema) {
        String from = switch (db.db) {
            case POSTGRES -> "\"" + schema + "\".items";
            case MARIADB -> "`" + schema + "_002_change`.items";
        };
        Map<Long, Map<String, Object>> rows = new LinkedHashMap<>();
        for (Map<String, Object> row : Rows.query(db.watcher(), "SELECT id, title, flag, v, w, n FROM " + from + " ORDER BY id")) {
            rows.put(((Number) row.get("id")).longValue(), new LinkedHashMap<>(row));
        }
        return rows;
    }

    private Object catalog(String schema) {
        return switch (db.db) {
            case POSTGRES -> CatalogSnapshot.of(schema);
            case MARIADB -> MariaDbSnapshot.of(schema);
        };
    }

    /** The previous version writing the table itself, with no version named: the search path or the default database. */
    private DataSource baseTable(String schema) {
        return switch (db.db) {
            case POSTGRES -> Pg.dataSource(schema);
            case MARIADB -> dev.tandem.testing.MariaDb.dataSource(schema);
        };
    }

    private VersionWriter writer(String name, int index, int writers, boolean newVersion, DataSource ds, Random random) {
        return new VersionWriter(name, index, writers, newVersion, db.db == TestDatabase.POSTGRES, ds, ROWS, increments,
                random.nextLong());
    }

    private String prepare(String prefix) throws InterruptedException {
        String schema = db.db.newSchema(prefix);
        Path migrations = dir.resolve(schema);
        assertThat(migrations.toFile().mkdirs()).isTrue();
        new Migrations(migrations).write("001_init.yaml", V1);
        assertThat(start(schema, "migrate").waitFor()).isZero();
        db.db.exec("INSERT INTO " + db.db.dialect().qualify(schema, "items") + " SELECT g, CONCAT('n', g), g % 2, g, 0 FROM "
                + db.db.series(ROWS));
        new Migrations(migrations).write("002_change.yaml", V2);
        return schema;
    }

    private CliProcess start(String schema, String command) {
        List<String> args = new ArrayList<>(List.of(command));
        args.addAll(db.connection(schema));
        args.addAll(List.of("--migrations", dir.resolve(schema).toString(), "--quiet"));
        if (command.equals("backfill")) args.addAll(List.of("--max-rows-per-second", BACKFILL_RATE));
        return CliProcess.start(dir, args);
    }

    /** A killed client's server session goes once the server notices; the next run starts only after that. */
    private void awaitNoToolSessions() throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (db.toolSessions() > 0) {
            if (System.nanoTime() > deadline) throw new AssertionError("the killed Tandem's session did not go");
            Thread.sleep(10);
        }
    }

    private List<Object> versionSchemas(String schema) {
        String names = switch (db.db) {
            case POSTGRES -> "SELECT replace(nspname, ?, 'S') AS s FROM pg_namespace WHERE nspname LIKE ? ORDER BY 1";
            case MARIADB -> "SELECT replace(SCHEMA_NAME, ?, 'S') AS s FROM information_schema.SCHEMATA WHERE SCHEMA_NAME LIKE ? ORDER BY 1";
        };
        return Rows.query(db.watcher(), names, schema, schema + "%").stream().map(r -> r.get("s")).toList();
    }

    private String phase(String schema) {
        return (String) Rows.scalar(db.watcher(), "SELECT phase FROM tandem.migrations WHERE schema_name = ? AND name = '002_change'", schema);
    }
}
