package dev.tandem.backfill;

import dev.tandem.Tandem;
import dev.tandem.TandemException;
import dev.tandem.TandemListener;
import dev.tandem.testing.Background;
import dev.tandem.testing.Migrations;
import dev.tandem.testing.Pg;
import dev.tandem.testing.Rows;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

/**
 * Waiting for the migration lock: told once who holds it (which Tandem command, process and host), then a counter
 * every 10 s, not a line per retry; and when the holder is a backfill, how to steer it from here.
 */
class MigrationLockMessageTest {
    @TempDir
    Path dir;

    @Test
    void aWaitNamesTheBackfillHoldingTheLockAndCountsTheSeconds() throws Exception {
        String schema = Pg.newSchema("held");
        Migrations files = new Migrations(dir).write("001_init.yaml", BackfillTest.TABLE);
        Tandem running = Tandem.configure().dataSource(Pg.dataSource()).migrations(dir).schema(schema).load();
        running.migrate();
        Pg.exec("INSERT INTO \"" + schema + "\".m SELECT g, g FROM generate_series(1, 100) g");
        files.write("002_change.yaml", BackfillTest.WIDEN);
        running.expand();
        running.pauseBackfill();
        CompletableFuture<?> backfill = CompletableFuture.runAsync(running::backfill, Background.THREADS);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (!"paused".equals(Rows.scalar(Pg.dataSource(), "SELECT backfill_status FROM tandem.migrations"
                + " WHERE schema_name = ? AND name = '002_change'", schema))) {
            if (System.nanoTime() > deadline) throw new AssertionError("the backfill never held");
            Thread.sleep(100);
        }

        List<String> said = new CopyOnWriteArrayList<>();
        Tandem waiting = Tandem.configure().dataSource(Pg.dataSource()).migrations(dir).schema(schema)
                .lockWait(Duration.ofSeconds(11)).listener(new TandemListener() {
                    @Override
                    public void message(String text) {
                        said.add(text);
                    }
                }).load();
        TandemException refused = catchThrowableOfType(waiting::rollback, TandemException.class);

        String holder = "tandem backfill pid " + ProcessHandle.current().pid() + " on ";
        assertThat(refused.kind()).isEqualTo(TandemException.Kind.LOCKED);
        assertThat(refused.getMessage()).contains(holder).contains("`tandem backfill --pause`");
        assertThat(said).hasSize(2);
        assertThat(said.get(0)).startsWith("waiting up to 11 s for the migration lock, held by " + holder)
                .contains("`tandem backfill --resume`");
        assertThat(said.get(1)).isEqualTo("still waiting for the migration lock: 10 s of 11 s");

        running.resumeBackfill();
        backfill.get(60, TimeUnit.SECONDS);
    }
}
