package dev.tandem.versions;

import dev.tandem.Tandem;
import dev.tandem.testing.Migrations;
import dev.tandem.testing.Rows;
import dev.tandem.testing.TestDatabase;
import dev.tandem.testing.TestDatabase.OnEveryDatabase;
import org.junit.jupiter.api.io.TempDir;

import javax.sql.DataSource;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * No write is lost in any order of events: read-modify-write updates from both versions run without pause while the
 * migration is expanded, backfilled, rolled back, expanded again and contracted. Every update that committed is in
 * the final value of its row; every one refused (the new version before it is ready, either version after its
 * schema went) changed nothing.
 */
class InterleavingTest {
    static final int ROWS = 200;
    /** At least 30 s of writes, as the issue asks; -Dtandem.interleaving.seconds shortens it for local runs. */
    static final long SECONDS = Long.getLong("tandem.interleaving.seconds", 30);

    @TempDir
    Path dir;

    @OnEveryDatabase
    void everyCommittedIncrementOfEitherVersionIsInTheFinalRow(TestDatabase db) throws Exception {
        String schema = db.newSchema("interleave");
        Migrations files = new Migrations(dir).write("001_init.yaml", """
                operations:
                  - create_table:
                      table: counters
                      columns:
                        - {name: id, type: integer, primary_key: true}
                        - {name: v, type: integer, nullable: false}
                """);
        Tandem tandem = db.tandem(schema).migrations(dir).batchSize(10, 50).targetBatch(Duration.ofMillis(5)).load();
        tandem.migrate();
        StringBuilder rows = new StringBuilder();
        for (int i = 1; i <= ROWS; i++) rows.append(i == 1 ? "" : ", ").append("(").append(i).append(", 0)");
        Rows.update(db.dataSource(), "INSERT INTO " + db.dialect().qualify(schema, "counters") + " VALUES " + rows);
        files.write("002_wide.yaml", """
                operations:
                  - alter_column: {table: counters, column: v, type: bigint, up: "v", down: "v"}
                """);
        // Applications that select their version with the URL alone: nothing of Tandem's waits for them.
        DataSource oldApp = db.application(schema, "001_init");
        DataSource newApp = db.application(schema, "002_wide");
        Map<Integer, LongAdder> committed = new ConcurrentHashMap<>();
        AtomicLong refused = new AtomicLong();
        AtomicBoolean stop = new AtomicBoolean();
        List<CompletableFuture<Void>> writers = new ArrayList<>();
        for (int w = 0; w < 4; w++) writers.add(writer(w % 2 == 0 ? oldApp : newApp, w, committed, refused, stop));

        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(SECONDS);
        int rounds = 0;
        try {
            while (true) {
                tandem.expand();
                Thread.sleep(200);
                tandem.backfill();
                Thread.sleep(300);
                rounds++;
                if (System.nanoTime() >= end) break;
                tandem.rollback(false, true);
                Thread.sleep(200);
            }
            tandem.contract(Duration.ZERO, true);
            Thread.sleep(300);
        } finally {
            stop.set(true);
        }
        for (CompletableFuture<Void> w : writers) w.get(60, TimeUnit.SECONDS);

        long total = committed.values().stream().mapToLong(LongAdder::sum).sum();
        assertThat(total).as("committed increments").isGreaterThan(100);
        assertThat(refused.get()).as("writes refused (new version not ready, or a version gone)").isPositive();
        assertThat(rounds).isGreaterThanOrEqualTo(2);
        List<String> wrong = new ArrayList<>();
        // Read as the version that remains reads it (on MariaDB its column is an alias of a physical one that stays).
        for (Map<String, Object> r : Rows.query(newApp, "SELECT id, v FROM counters ORDER BY id")) {
            int id = ((Number) r.get("id")).intValue();
            long expected = committed.containsKey(id) ? committed.get(id).sum() : 0;
            long actual = ((Number) r.get("v")).longValue();
            if (actual != expected) wrong.add("row " + id + ": " + actual + ", committed " + expected);
        }
        assertThat(wrong).as("rows missing or holding more than the increments committed by either version").isEmpty();
    }

    private static CompletableFuture<Void> writer(DataSource ds, int seed, Map<Integer, LongAdder> committed,
                                                  AtomicLong refused, AtomicBoolean stop) {
        return CompletableFuture.runAsync(() -> {
            Random random = new Random(seed);
            while (!stop.get()) {
                try (Connection c = ds.getConnection();
                     PreparedStatement ps = c.prepareStatement("UPDATE counters SET v = v + 1 WHERE id = ?")) {
                    while (!stop.get()) {
                        int id = 1 + random.nextInt(ROWS);
                        ps.setInt(1, id);
                        if (ps.executeUpdate() == 1) committed.computeIfAbsent(id, k -> new LongAdder()).increment();
                    }
                } catch (java.sql.SQLException e) {
                    // Autocommit: a failed update changed nothing. A new connection resolves the search path afresh.
                    refused.incrementAndGet();
                }
            }
        });
    }
}
