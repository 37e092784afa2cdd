package dev.tandem.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tandem.Tandem;
import dev.tandem.client.TandemDataSource;
import dev.tandem.testing.Migrations;
import dev.tandem.testing.Pg;
import dev.tandem.testing.Rows;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.sql.Connection;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/** What `tandem status` says is true: of a dead backfill, of where a backfill is, and of the instances alive. */
class StatusTruthTest {
    static final ObjectMapper JSON = new ObjectMapper();
    static final String ADD_W = "operations:\n  - add_column: {table: a, column: {name: w, type: integer}, up: \"v * 2\"}\n";

    @TempDir
    Path dir;

    private Tandem expanded(String schema, Path files, boolean byKey) {
        Migrations m = new Migrations(files).write("001_init.yaml", CrashTest.V1);
        Tandem tandem = Tandem.configure().dataSource(Pg.dataSource()).migrations(files).schema(schema).byKey(byKey).load();
        tandem.migrate();
        Pg.exec("INSERT INTO \"" + schema + "\".a SELECT g, g FROM generate_series(1, 500) g");
        m.write("002_change.yaml", ADD_W);
        tandem.expand();
        return tandem;
    }

    private static Cli.Result status(String schema, Path files, String... more) {
        String[] args = new String[]{"status", "--url", Pg.url(), "--schema", schema, "--migrations", files.toString()};
        String[] all = java.util.Arrays.copyOf(args, args.length + more.length);
        System.arraycopy(more, 0, all, args.length, more.length);
        return Cli.run(all);
    }

    /** The state as a backfill killed with SIGKILL leaves it: it said running, and its heartbeat stopped. */
    @Test
    void aKilledBackfillIsInterruptedInTextAndJson() throws Exception {
        String schema = Pg.newSchema("killed");
        expanded(schema, dir, false);
        Rows.update(Pg.dataSource(), "UPDATE tandem.migrations SET phase = 'backfilling', backfill_status = 'running',"
                + " backfill_seen_at = now() - interval '1 minute' WHERE schema_name = ? AND name = '002_change'", schema);

        Cli.Result text = status(schema, dir);
        assertThat(text.out()).as(text.toString()).contains("backfill: interrupted — run tandem backfill to resume (last seen ")
                .doesNotContain("backfill: running");
        JsonNode activity = JSON.readTree(status(schema, dir, "--json").out()).get("migrations").get(1).get("activity");
        assertThat(activity.get("status").asText()).isEqualTo("interrupted");
        assertThat(activity.get("reason").asText()).isEqualTo("run tandem backfill to resume");
    }

    /** The real thing: a backfill in a process of its own, killed with SIGKILL while it runs. */
    @Test
    void aBackfillProcessKilledWhileRunningGoesFromRunningToInterrupted() throws Exception {
        String schema = Pg.newSchema("sigkill");
        Tandem tandem = expanded(schema, dir, false);
        Pg.exec("INSERT INTO \"" + schema + "\".a SELECT g, g FROM generate_series(501, 20000) g");
        tandem.backfillRate(1000);
        Process backfill = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", System.getProperty("java.class.path"), Main.class.getName(), "backfill", "--url", Pg.url(),
                "--schema", schema, "--migrations", dir.toString(), "--quiet")
                .redirectErrorStream(true).redirectOutput(dir.resolve("backfill.log").toFile()).start();
        try {
            await(() -> status(schema, dir).out().contains("backfill: running"), "the backfill to run");
            // Running, it holds the migration lock: let it finish (14); a second backfill (11) would only wait for it.
            Cli.Result running = status(schema, dir, "--check");
            assertThat(running.exitCode()).as(running.toString()).isEqualTo(14);
            assertThat(status(schema, dir).out()).contains("running now: tandem backfill pid " + backfill.pid() + " on ");
            backfill.destroyForcibly(); // SIGKILL: no shutdown hook, no last word in the state
            assertThat(backfill.waitFor(30, TimeUnit.SECONDS)).isTrue();
            long killedAt = System.nanoTime();
            await(() -> status(schema, dir).out().contains("backfill: interrupted — run tandem backfill to resume"),
                    "status to see the backfill interrupted");
            assertThat(Duration.ofNanos(System.nanoTime() - killedAt)).isLessThan(Duration.ofSeconds(20));
            assertThat(status(schema, dir, "--check").exitCode()).isEqualTo(11);
        } finally {
            backfill.destroyForcibly();
        }
    }

    /**
     * A command waiting for a table's lock is running, not interrupted: status must not tell the operator to run it
     * again or roll it back while it still works (a newcomer was told both). Killed, it is interrupted at once: the
     * migration lock dies with its session.
     */
    @Test
    void anExpandWaitingForItsLockIsRunningAndKilledIsInterrupted() throws Exception {
        String schema = Pg.newSchema("waiting");
        Path files = java.nio.file.Files.createDirectories(dir.resolve("waiting"));
        Migrations m = new Migrations(files).write("001_init.yaml", """
                operations:
                  - create_table: {table: a, columns: [{name: id, type: integer, primary_key: true}, {name: v, type: integer}]}
                  - create_table: {table: b, columns: [{name: id, type: integer, primary_key: true}, {name: v, type: integer}]}
                """);
        Tandem.configure().dataSource(Pg.dataSource()).migrations(files).schema(schema).load().migrate();
        m.write("002_both.yaml", """
                operations:
                  - add_column: {table: a, column: {name: w, type: integer}}
                  - add_column: {table: b, column: {name: w, type: integer}}
                """);
        try (Connection holder = Pg.dataSource().getConnection()) {
            holder.setAutoCommit(false);
            try (var st = holder.createStatement()) {
                st.execute("LOCK TABLE \"" + schema + "\".b IN ACCESS SHARE MODE"); // as a reader in a long transaction: expand plans, then waits for b
            }
            CliProcess expand = CliProcess.start(dir, List.of("expand", "--url", Pg.url(), "--schema", schema,
                    "--migrations", files.toString(), "--retry-deadline", "120s"));
            try {
                await(() -> status(files, schema, "--check").exitCode() == 14,
                        () -> "status to see expand running: " + status(files, schema) + "\nexpand: " + expand.log());
                Cli.Result text = status(files, schema);
                assertThat(text.out()).as(text.toString()).contains("running now: tandem expand")
                        .contains("002_both last recorded: step done")
                        .contains("next: a Tandem command is running on this schema").doesNotContain("run the interrupted");
                JsonNode json = JSON.readTree(status(files, schema, "--json").out());
                assertThat(json.get("next").get("action").asText()).isEqualTo("running");
                assertThat(json.get("running_command").asText()).contains("tandem expand");

                assertThat(expand.killAfter(0)).isTrue();
                long killedAt = System.nanoTime();
                await(() -> status(files, schema, "--check").exitCode() == 13, "status to see expand interrupted");
                assertThat(Duration.ofNanos(System.nanoTime() - killedAt)).as("no heartbeat to go stale first")
                        .isLessThan(Duration.ofSeconds(5));
                assertThat(status(files, schema).out()).contains("next: run the interrupted command again: `tandem expand`")
                        .doesNotContain("running now");
            } finally {
                expand.killAfter(0);
                holder.rollback();
            }
        }
    }

    private static Cli.Result status(Path files, String schema, String... more) {
        return status(schema, files, more);
    }

    private static void await(java.util.function.BooleanSupplier condition, String what) throws InterruptedException {
        await(condition, () -> what);
    }

    private static void await(java.util.function.BooleanSupplier condition, java.util.function.Supplier<String> what)
            throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) throw new AssertionError("timed out waiting for " + what.get());
            Thread.sleep(200);
        }
    }

    /**
     * Not more than is known, not less than is true: a pending migration's backfill is unknown before its plan, a done
     * backfill has no rate limit left to hold it back, and a rolled-back migration's backfill is not a completed one.
     */
    @Test
    void aPendingADoneAndARolledBackMigrationAreShownAsTheyAre() throws Exception {
        String schema = Pg.newSchema("asthey");
        Migrations files = new Migrations(dir).write("001_init.yaml", CrashTest.V1);
        Tandem tandem = Tandem.configure().dataSource(Pg.dataSource()).migrations(dir).schema(schema).load();
        tandem.migrate();
        Pg.exec("INSERT INTO \"" + schema + "\".a SELECT g, g FROM generate_series(1, 500) g");
        files.write("002_change.yaml", ADD_W);
        JsonNode pending = JSON.readTree(status(schema, dir, "--json").out()).get("migrations").get(1);
        assertThat(pending.get("phase").asText()).isEqualTo("pending");
        assertThat(pending.get("needs_backfill").isNull()).as(pending.toString()).isTrue();

        tandem.expand();
        tandem.backfillRate(1500);
        tandem.backfill();
        Cli.Result done = status(schema, dir);
        assertThat(done.out()).as(done.toString()).contains("backfill: done").doesNotContain("rate limit");

        tandem.rollback();
        Cli.Result rolledBack = status(schema, dir);
        String line = rolledBack.out().lines().filter(l -> l.startsWith("002_change ")).findFirst().orElseThrow();
        assertThat(line).as(rolledBack.toString()).contains("rolled back").doesNotContain("500/500").doesNotContain("100%");
        assertThat(line).matches(".*rolled back \\d{4}-\\d{2}-\\d{2} .*");
    }

    @Test
    void keysShowAsKeysAndPagesAsAPosition() throws Exception {
        String byKey = Pg.newSchema("keyjson");
        Path keyFiles = dir.resolve("key");
        keyFiles.toFile().mkdirs();
        expanded(byKey, keyFiles, true).backfill();
        JsonNode table = JSON.readTree(status(byKey, keyFiles, "--json").out()).get("migrations").get(1).get("backfill").get(0);
        assertThat(table.get("walk").asText()).isEqualTo("key");
        assertThat(table.get("last_key")).isEqualTo(JSON.readTree("{\"id\": 500}"));
        assertThat(table.get("upper_key")).isEqualTo(JSON.readTree("{\"id\": 500}"));
        assertThat(table.has("position")).isFalse();

        String byPage = Pg.newSchema("pagejson");
        Path pageFiles = dir.resolve("page");
        pageFiles.toFile().mkdirs();
        expanded(byPage, pageFiles, false).backfill();
        table = JSON.readTree(status(byPage, pageFiles, "--json").out()).get("migrations").get(1).get("backfill").get(0);
        assertThat(table.get("walk").asText()).isEqualTo("pages");
        assertThat(table.has("last_key")).as(table.toString()).isFalse();
        assertThat(table.has("upper_key")).as(table.toString()).isFalse();
        long pages = table.get("position").get("pages").asLong();
        assertThat(pages).isPositive();
        assertThat(table.get("position").get("next_page").asLong()).isEqualTo(pages);
        assertThat(table.get("rows_done").asLong()).isEqualTo(500);
    }

    @Test
    void aNodeOnTwoVersionsIsListedTwice() throws Exception {
        String schema = Pg.newSchema("twonodes");
        expanded(schema, dir, false).backfill(); // the new version's client waits until it is ready
        try (TandemDataSource old = node(schema, "001_init"); TandemDataSource next = node(schema, "002_change");
             Connection a = old.getConnection(); Connection b = next.getConnection()) {
            String out = status(schema, dir).out();
            assertThat(out.lines().filter(l -> l.startsWith("  node-a  "))).as(out).containsExactlyInAnyOrder(
                    out.lines().filter(l -> l.startsWith("  node-a  version 001_init ")).findFirst().orElse("no 001_init line"),
                    out.lines().filter(l -> l.startsWith("  node-a  version 002_change ")).findFirst().orElse("no 002_change line"));
        }
    }

    /** The operator is told once, not once by the log and once more by the command's own output. */
    @Test
    void aForcedContractWarnsOnce() throws Exception {
        String schema = Pg.newSchema("forced");
        expanded(schema, dir, false).backfill();
        try (TandemDataSource old = node(schema, "001_init"); Connection a = old.getConnection()) {
            // In a JVM of its own: the core's log is set up as an operator's run sets it up, and shows in the output.
            CliProcess p = CliProcess.start(dir, List.of("contract", "--url", Pg.url(), "--schema", schema,
                    "--migrations", dir.toString(), "--force"));
            assertThat(p.waitFor()).as(p.log()).isZero();
            String output = p.log();
            assertThat(output.split("still running", -1)).as(output).hasSize(2);
            assertThat(output).contains("WARNING: contracting although instances of other versions are still running: node-a");
        }
    }

    private static TandemDataSource node(String schema, String version) {
        return TandemDataSource.builder(Pg.dataSource(), version).schema(schema).instanceId("node-a")
                .heartbeat(Duration.ofMillis(50)).build();
    }
}
