package dev.tandem.backfill;

import dev.tandem.MigrationStatus;
import dev.tandem.Tandem;
import dev.tandem.TandemException;
import dev.tandem.TandemListener;
import dev.tandem.testing.Background;
import dev.tandem.testing.Migrations;
import dev.tandem.testing.Pg;
import dev.tandem.testing.Rows;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import javax.sql.DataSource;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicBoolean;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

/** The backfill under live traffic, on every kind of key (paused, resumed and rate-limited: BackfillControlEverywhereTest). */
class BackfillTest {
    static final String TABLE = """
            operations:
              - create_table:
                  table: m
                  columns:
                    - {name: id, type: bigint, primary_key: true}
                    - {name: v, type: integer, nullable: false}
            """;
    /** up and down are deliberately not inverses: a recomputed value would differ from the one a writer wrote. */
    static final String WIDEN = """
            operations:
              - alter_column: {table: m, column: v, type: bigint, up: "v * 10", down: "(v / 10)::integer"}
            """;

    @TempDir
    Path dir;

    private Tandem setUp(String schema, String v1, String v2, int rows, String load) {
        return setUp(schema, v1, v2, rows, load, Tandem.configure());
    }

    private Tandem setUp(String schema, String v1, String v2, int rows, String load, Tandem.Config config) {
        Migrations files = new Migrations(dir).write("001_init.yaml", v1);
        Tandem tandem = config.dataSource(Pg.dataSource()).migrations(dir).schema(schema)
                .batchSize(20, 100).targetBatch(Duration.ofMillis(5)).load();
        tandem.migrate();
        Pg.exec(load.formatted("\"" + schema + "\"", rows));
        files.write("002_change.yaml", v2);
        tandem.expand();
        return tandem;
    }

    /**
     * Both walks: page by page (the default here) and by key. The first backfill runs under the previous version's
     * writes (the new version is not ready before it ends); then, with the new version live, rows loaded with triggers
     * off (a replica-role load) are filled by {@code --by-key} under writes of both versions.
     */
    @ParameterizedTest(name = "by key: {0}")
    @ValueSource(booleans = {false, true})
    void neverOverwritesWhatEitherVersionWroteWhileItRuns(boolean byKey) throws Exception {
        String schema = Pg.newSchema("bf");
        int rows = 4000;
        Tandem tandem = setUp(schema, TABLE, WIDEN, rows, "INSERT INTO %s.m SELECT g, g FROM generate_series(1, %d) g",
                Tandem.configure().byKey(byKey));
        DataSource oldApp = Pg.dataSource(schema + "_001_init," + schema);
        DataSource newApp = Pg.dataSource(schema + "_002_change," + schema);
        // Each writer owns the ids of one residue mod 4, so "the last value written to a row" is well defined.
        Map<Long, long[]> lastWrite = new ConcurrentHashMap<>(); // id -> {version (1 old, 2 new), value}
        ConcurrentLinkedQueue<String> errors = new ConcurrentLinkedQueue<>();
        AtomicBoolean stop = new AtomicBoolean();
        List<CompletableFuture<Void>> writers = new java.util.ArrayList<>(List.of(
                writer(oldApp, 1, 0, rows, lastWrite, errors, stop), writer(oldApp, 1, 1, rows, lastWrite, errors, stop)));
        try {
            Thread.sleep(200);
            tandem.backfill();
            // A load with triggers off leaves rows neither version's sync saw: the new version is live now.
            Pg.exec("SET session_replication_role = replica; UPDATE \"" + schema + "\".m SET _tandem_new_v = -1,"
                    + " _tandem_backfilled = NULL WHERE id % 4 IN (2, 3) OR id % 8 = 1; RESET session_replication_role");
            writers.add(writer(newApp, 2, 2, rows, lastWrite, errors, stop));
            writers.add(writer(newApp, 2, 3, rows, lastWrite, errors, stop));
            Thread.sleep(200);
            Tandem.configure().dataSource(Pg.dataSource()).migrations(dir).schema(schema).byKey(true)
                    .batchSize(20, 100).targetBatch(Duration.ofMillis(5)).load().backfill();
        } finally {
            stop.set(true); // endless writers left running would skew every later test
        }
        for (CompletableFuture<Void> w : writers) w.get(60, java.util.concurrent.TimeUnit.SECONDS);

        assertThat(errors).isEmpty();
        assertThat(lastWrite).hasSizeGreaterThan(50);
        List<Map<String, Object>> table = Rows.query(Pg.dataSource(), "SELECT id, v, _tandem_new_v AS n, _tandem_backfilled AS done FROM \""
                + schema + "\".m ORDER BY id");
        assertThat(table).hasSize(rows);
        for (Map<String, Object> r : table) {
            long id = (Long) r.get("id");
            long old = ((Integer) r.get("v")).longValue();
            long now = (Long) r.get("n");
            long[] w = lastWrite.get(id);
            assertThat(r.get("done")).as("row %d filled", id).isEqualTo(true);
            if (w == null) {
                assertThat(now).as("untouched row %d", id).isEqualTo(old * 10);
            } else if (w[0] == 1) {
                assertThat(old).as("row %d as the old version wrote it", id).isEqualTo(w[1]);
                assertThat(now).isEqualTo(w[1] * 10);
            } else {
                assertThat(now).as("row %d as the new version wrote it", id).isEqualTo(w[1]);
                assertThat(old).isEqualTo(w[1] / 10);
            }
        }
        // The body, not a WHEN clause, lets backfill writes through: PostgreSQL compiles a trigger's WHEN expression
        // once per statement, which cost every single-row application write more than the PL/pgSQL call itself.
        assertThat(Rows.query(Pg.dataSource(), "SELECT tgname FROM pg_trigger WHERE tgrelid = '\"" + schema
                + "\".m'::regclass AND NOT tgisinternal AND tgqual IS NOT NULL")).isEmpty();
    }

    private CompletableFuture<Void> writer(DataSource ds, int version, int residue, int rows, Map<Long, long[]> lastWrite,
                                           ConcurrentLinkedQueue<String> errors, AtomicBoolean stop) {
        return CompletableFuture.runAsync(() -> {
            Random random = new Random(residue);
            try (Connection c = ds.getConnection(); PreparedStatement ps = c.prepareStatement("UPDATE m SET v = ? WHERE id = ?")) {
                while (!stop.get()) {
                    long id = 4L * random.nextInt(rows / 4) + residue + (residue == 0 ? 4 : 0);
                    if (id > rows) continue;
                    long value = 7 + random.nextInt(1000);
                    ps.setLong(1, value);
                    ps.setLong(2, id);
                    ps.executeUpdate();
                    lastWrite.put(id, new long[]{version, value});
                }
            } catch (Exception e) {
                errors.add(e.getMessage());
            }
        }, Background.THREADS);
    }

    @ParameterizedTest(name = "by key: {0}")
    @ValueSource(booleans = {false, true})
    void walksCompositeKeysAndUniqueIndexesAndRefusesTablesWithNeither(boolean byKey) {
        // Mixed case, a reserved word as a key column, a stored generated column, and a schema that is not public.
        String schema = Pg.newSchema("keys");
        Migrations files = new Migrations(dir).write("001_init.yaml", """
                operations:
                  - sql:
                      up: 'CREATE TABLE %1$s."Tenant Rows" (tenant integer, "order" integer, v integer NOT NULL,
                             doubled integer GENERATED ALWAYS AS (v * 2) STORED, PRIMARY KEY (tenant, "order"));
                           CREATE TABLE %1$s.by_code (code text NOT NULL, v integer NOT NULL);
                           CREATE UNIQUE INDEX by_code_code ON %1$s.by_code (code);
                           CREATE TABLE %1$s.heap (v integer NOT NULL)'
                """.formatted("\"" + schema + "\""));
        Tandem tandem = Tandem.configure().dataSource(Pg.dataSource()).migrations(dir).schema(schema).batchSize(7, 7)
                .byKey(byKey).load();
        tandem.migrate();
        Pg.exec(("INSERT INTO %1$s.\"Tenant Rows\" SELECT t, o, t * 100 + o FROM generate_series(1, 5) t, generate_series(1, 30) o;"
                + "INSERT INTO %1$s.by_code SELECT 'c' || g, g FROM generate_series(1, 50) g;"
                + "INSERT INTO %1$s.heap SELECT g FROM generate_series(1, 5) g").formatted("\"" + schema + "\""));

        files.write("002_heap.yaml", "operations:\n  - add_column: {table: heap, column: {name: w, type: integer}, up: \"v\"}\n");
        TandemException refused = catchThrowableOfType(tandem::expand, TandemException.class);
        assertThat(refused.getMessage()).contains("heap").contains("no primary key and no unique index");
        new java.io.File(dir.resolve("002_heap.yaml").toString()).delete();

        files.write("002_keys.yaml", """
                operations:
                  - add_column: {table: Tenant Rows, column: {name: w, type: integer, nullable: false}, up: "v + tenant"}
                  - add_column: {table: by_code, column: {name: w, type: text, nullable: false}, up: "code || v"}
                """);
        tandem.migrate();
        assertThat(Rows.scalar(Pg.dataSource(), "SELECT count(*) FROM \"" + schema + "\".\"Tenant Rows\" WHERE w = v + tenant AND doubled = v * 2"))
                .isEqualTo(150L);
        assertThat(Rows.scalar(Pg.dataSource(), "SELECT count(*) FROM \"" + schema + "\".by_code WHERE w = code || v")).isEqualTo(50L);
    }

    /**
     * VACUUM FULL between two batches of a page walk packs the rows not yet filled into the pages already walked.
     * Carrying on page by page would leave them unfilled; the backfill notices the new storage and walks by key.
     */
    @ParameterizedTest(name = "by key: {0}")
    @ValueSource(booleans = {false, true})
    void aTableRewrittenUnderThePageWalkIsWalkedAgainByKey(boolean byKey) {
        String schema = Pg.newSchema("rewrite");
        int rows = 3000;
        List<String> messages = new java.util.concurrent.CopyOnWriteArrayList<>();
        AtomicBoolean rewritten = new AtomicBoolean();
        Tandem tandem = setUp(schema, TABLE, WIDEN, rows, "INSERT INTO %s.m SELECT g, g FROM generate_series(1, %d) g",
                Tandem.configure().byKey(byKey).listener(new TandemListener() {
                    @Override
                    public void backfillProgress(String migration, String table, long rowsDone, long rowsTotal, double rowsPerSecond) {
                        // Between batches, when the backfill holds no lock on the table.
                        if (rowsDone > 0 && rowsDone < rows && !rewritten.getAndSet(true)) {
                            Pg.exec("VACUUM FULL \"" + schema + "\".m");
                        }
                    }

                    @Override
                    public void message(String text) {
                        messages.add(text);
                    }
                }));
        tandem.backfill();

        assertThat(rewritten).isTrue();
        assertThat(Rows.scalar(Pg.dataSource(), "SELECT count(*) FROM \"" + schema + "\".m WHERE _tandem_new_v = v * 10"
                + " AND _tandem_backfilled")).isEqualTo((long) rows);
        assertThat(messages.stream().anyMatch(m -> m.contains("rewritten"))).isEqualTo(!byKey);
    }

    /** A page walk stopped midway, then run again with byKey (as for a table found to get trigger-less writes). */
    @Test
    void byKeyTakesOverAPageWalkStoppedMidway() {
        String schema = Pg.newSchema("takeover");
        int rows = 3000;
        Tandem first = setUp(schema, TABLE, WIDEN, rows, "INSERT INTO %s.m SELECT g, g FROM generate_series(1, %d) g",
                Tandem.configure().listener(new TandemListener() {
                    @Override
                    public void backfillProgress(String migration, String table, long rowsDone, long rowsTotal, double rowsPerSecond) {
                        if (rowsDone > 0 && rowsDone < rows) throw new IllegalStateException("stopped after one batch");
                    }
                }));
        assertThat(catchThrowableOfType(first::backfill, IllegalStateException.class)).hasMessageContaining("stopped");
        String walk = "SELECT walk FROM tandem.backfill WHERE schema_name = '" + schema + "'";
        assertThat(Rows.scalar(Pg.dataSource(), walk)).isEqualTo("pages");
        assertThat(Rows.scalar(Pg.dataSource(), "SELECT count(*) FROM \"" + schema + "\".m WHERE _tandem_backfilled"))
                .isNotEqualTo(0L).isNotEqualTo((long) rows);

        Tandem.configure().dataSource(Pg.dataSource()).migrations(dir).schema(schema).byKey(true).load().backfill();
        assertThat(Rows.scalar(Pg.dataSource(), walk)).isEqualTo("key");
        assertThat(Rows.scalar(Pg.dataSource(), "SELECT count(*) FROM \"" + schema + "\".m WHERE _tandem_new_v = v * 10"
                + " AND _tandem_backfilled")).isEqualTo((long) rows);
    }

    /** status reads the state without installing it (no lock, maybe a read-only role): it must read older layouts. */
    @Test
    void statusReadsABackfillRecordedBeforeWalksWereRecorded() {
        String schema = Pg.newSchema("oldstate");
        Tandem tandem = setUp(schema, TABLE, WIDEN, 500, "INSERT INTO %s.m SELECT g, g FROM generate_series(1, %d) g",
                Tandem.configure().stateSchema(schema + "_state"));
        tandem.backfill();
        Pg.exec("ALTER TABLE \"" + schema + "_state\".backfill DROP COLUMN walk");

        MigrationStatus m = tandem.status().current().orElseThrow();
        assertThat(m.backfill()).singleElement().satisfies(b -> {
            assertThat(b.walk()).isEqualTo(dev.tandem.state.BackfillState.Walk.KEY);
            assertThat(b.rowsDone()).isEqualTo(500L);
        });
    }

    @Test
    void stepsAsideWhileOtherSessionsKeepTheDatabaseBusyAndSaysWhyInStatus() throws Exception {
        String schema = Pg.newSchema("yield");
        setUp(schema, TABLE, WIDEN, 3000, "INSERT INTO %s.m SELECT g, g FROM generate_series(1, %d) g");
        List<String> messages = new java.util.concurrent.CopyOnWriteArrayList<>();
        Tandem yielding = listening(schema, 3, messages);
        Tandem observer = Tandem.configure().dataSource(Pg.dataSource()).migrations(dir).schema(schema).load();
        String reason = null;
        try (BusySessions ignored = new BusySessions(3)) {
            CompletableFuture<Void> running = CompletableFuture.runAsync(yielding::backfill, Background.THREADS);
            while (reason == null && !running.isDone()) {
                MigrationStatus m = observer.status().current().orElseThrow();
                if (m.activity() != null && m.activity().reason() != null && m.activity().reason().contains("yielding")) {
                    reason = m.activity().reason();
                }
                Thread.sleep(10);
            }
            running.get();
        }
        assertThat(reason).as("status while the backfill yields").isNotNull()
                .contains("other sessions active").contains("--nice-ratio");
        assertThat(messages).anyMatch(m -> m.contains("yielding to the applications"));
        assertThat(observer.status().current().orElseThrow().activity().status()).isEqualTo("done");
        assertThat(Rows.scalar(Pg.dataSource(), "SELECT count(*) FROM \"" + schema + "\".m WHERE _tandem_new_v = v * 10")).isEqualTo(3000L);
    }

    @Test
    void withANiceRatioOfZeroItNeverStepsAside() throws Exception {
        String schema = Pg.newSchema("eager");
        setUp(schema, TABLE, WIDEN, 3000, "INSERT INTO %s.m SELECT g, g FROM generate_series(1, %d) g");
        List<String> messages = new java.util.concurrent.CopyOnWriteArrayList<>();
        try (BusySessions ignored = new BusySessions(3)) {
            listening(schema, 0, messages).backfill();
        }
        assertThat(messages).noneMatch(m -> m.contains("yielding"));
        assertThat(Rows.scalar(Pg.dataSource(), "SELECT count(*) FROM \"" + schema + "\".m WHERE _tandem_new_v = v * 10")).isEqualTo(3000L);
    }

    /** Sessions that are always running a statement: what a busy application looks like in pg_stat_activity. */
    private static final class BusySessions implements AutoCloseable {
        private final AtomicBoolean stop = new AtomicBoolean();
        private final List<CompletableFuture<Void>> sessions = new java.util.ArrayList<>();

        BusySessions(int n) {
            for (int i = 0; i < n; i++) {
                sessions.add(CompletableFuture.runAsync(() -> {
                    try (Connection c = Pg.dataSource().getConnection(); PreparedStatement ps = c.prepareStatement("SELECT pg_sleep(0.1)")) {
                        while (!stop.get()) ps.execute();
                    } catch (Exception e) {
                        throw new IllegalStateException(e);
                    }
                }, Background.THREADS));
            }
        }

        @Override
        public void close() throws Exception {
            stop.set(true);
            for (CompletableFuture<Void> s : sessions) s.get();
        }
    }

    private Tandem listening(String schema, double niceRatio, List<String> messages) {
        return Tandem.configure().dataSource(Pg.dataSource()).migrations(dir).schema(schema)
                .batchSize(20, 100).targetBatch(Duration.ofMillis(5)).niceRatio(niceRatio).listener(new TandemListener() {
                    @Override
                    public void message(String text) {
                        messages.add(text);
                    }
                }).load();
    }
}
