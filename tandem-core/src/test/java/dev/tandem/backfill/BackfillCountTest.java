package dev.tandem.backfill;

import dev.tandem.MigrationStatus;
import dev.tandem.Tandem;
import dev.tandem.TandemListener;
import dev.tandem.testing.Migrations;
import dev.tandem.testing.Pg;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The backfill's count is of rows that exist: the catalog's estimate (reltuples, as old as the last ANALYZE) only
 * starts the total, the count never passes the rows there are, and at the end both are the real number.
 */
class BackfillCountTest {
    @TempDir
    Path dir;

    @ParameterizedTest(name = "by key: {0}")
    @ValueSource(booleans = {false, true})
    void countsRowsThatExistAndEndsWithTheRealNumber(boolean byKey) {
        String schema = Pg.newSchema("count");
        Migrations files = new Migrations(dir).write("001_init.yaml", BackfillTest.TABLE);
        List<long[]> progress = new CopyOnWriteArrayList<>();
        TandemListener listener = recording(progress);
        Tandem tandem = Tandem.configure().dataSource(Pg.dataSource()).migrations(dir).schema(schema)
                .batchSize(50, 100).targetBatch(Duration.ofMillis(5)).byKey(byKey).listener(listener).load();
        tandem.migrate();
        // The catalog says 3,000 rows; 1,200 are left, spread over the same pages.
        Pg.exec("INSERT INTO \"" + schema + "\".m SELECT g, g FROM generate_series(1, 3000) g;"
                + "ANALYZE \"" + schema + "\".m; DELETE FROM \"" + schema + "\".m WHERE id % 5 NOT IN (1, 3)");
        files.write("002_change.yaml", BackfillTest.WIDEN);
        tandem.expand();
        tandem.backfill();

        assertThat(progress).isNotEmpty();
        assertThat(progress).allSatisfy(p -> assertThat(p[0]).as("rows counted").isLessThanOrEqualTo(1200));
        assertThat(progress.get(progress.size() - 1)).containsExactly(1200, 1200);
        MigrationStatus m = tandem.status().current().orElseThrow();
        assertThat(m.rowsDone()).isEqualTo(1200);
        assertThat(m.rowsTotal()).isEqualTo(1200);
    }

    /**
     * After a rollback and a new expand, the first pages hold the dead versions of the rows the first backfill moved:
     * counting rows per page there alone made one batch of the whole table (no rate limit, one long transaction).
     */
    @org.junit.jupiter.api.Test
    void aSecondBackfillAfterARollbackStillGoesInBatches() {
        String schema = Pg.newSchema("count_again");
        Migrations files = new Migrations(dir).write("001_init.yaml", BackfillTest.TABLE);
        List<long[]> progress = new CopyOnWriteArrayList<>();
        TandemListener listener = recording(progress);
        Tandem tandem = Tandem.configure().dataSource(Pg.dataSource()).migrations(dir).schema(schema)
                .batchSize(100, 500).listener(listener).load();
        tandem.migrate();
        Pg.exec("ALTER TABLE \"" + schema + "\".m SET (autovacuum_enabled = false);"
                + "INSERT INTO \"" + schema + "\".m SELECT g, g FROM generate_series(1, 20000) g");
        files.write("002_change.yaml", BackfillTest.WIDEN);
        tandem.expand();
        tandem.backfill();
        tandem.rollback();
        progress.clear();
        tandem.expand();
        tandem.backfill();
        assertThat(progress.size()).as("batches").isGreaterThanOrEqualTo(20000 / 500);
        assertThat(progress.get(progress.size() - 1)).containsExactly(20000, 20000);
    }

    /** A listener that keeps every progress report as {rows done, rows total}. */
    private static TandemListener recording(List<long[]> progress) {
        return new TandemListener() {
            @Override
            public void backfillProgress(String migration, String table, long rowsDone, long rowsTotal, double rowsPerSecond) {
                progress.add(new long[]{rowsDone, rowsTotal});
            }
        };
    }
}
