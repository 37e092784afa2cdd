package dev.tandem.lifecycle;

import dev.tandem.Tandem;
import dev.tandem.TandemListener;
import dev.tandem.engine.Step;
import dev.tandem.state.Phase;
import dev.tandem.testing.Background;
import dev.tandem.testing.Migrations;
import dev.tandem.testing.Pg;
import dev.tandem.testing.Rows;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import javax.sql.DataSource;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.Statement;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A long transaction holds a lock on the table while expand runs. Expand must give way (lock_timeout) and retry,
 * so the application's readers never queue behind it for longer than lock_timeout.
 */
class LockSafetyTest {
    @TempDir
    Path dir;

    @Test
    void readersNeverWaitLongerThanLockTimeoutWhileExpandRetries() throws Exception {
        String schema = Pg.newSchema("locks");
        new Migrations(dir).write("001_init.yaml", UserTableLifecycleTest.V1);
        AtomicInteger retries = new AtomicInteger();
        Tandem tandem = Tandem.configure().dataSource(Pg.dataSource()).migrations(dir).schema(schema)
                .lockTimeout(Duration.ofMillis(500))
                .listener(new TandemListener() {
                    @Override
                    public void stepRetry(String migration, Step step, int attempt, Duration wait, String reason) {
                        retries.incrementAndGet();
                    }
                }).load();
        tandem.migrate();
        DataSource app = Pg.dataSource(schema + "_001_init");
        Rows.update(app, "INSERT INTO users (name, enabled, extra) SELECT 'u' || g, 1, 'x' FROM generate_series(1, 200) g");
        new Migrations(dir).write("002_user_email.yaml", UserTableLifecycleTest.V2);

        AtomicBoolean stop = new AtomicBoolean();
        AtomicLong worstReadMs = new AtomicLong();
        AtomicInteger reads = new AtomicInteger();
        CountDown holderStarted = new CountDown();
        CompletableFuture<Void> holder = CompletableFuture.runAsync(() -> {
            try (Connection c = app.getConnection(); Statement st = c.createStatement()) {
                c.setAutoCommit(false);
                st.executeQuery("SELECT * FROM users WHERE id = 1").close();
                holderStarted.done();
                Thread.sleep(5000);
                c.commit();
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        }, Background.THREADS);
        CompletableFuture<Void> reader = CompletableFuture.runAsync(() -> {
            try (Connection c = app.getConnection(); Statement st = c.createStatement()) {
                while (!stop.get()) {
                    long t0 = System.nanoTime();
                    st.executeQuery("SELECT name FROM users WHERE id = 2").close();
                    worstReadMs.accumulateAndGet((System.nanoTime() - t0) / 1_000_000, Math::max);
                    reads.incrementAndGet();
                    Thread.sleep(10);
                }
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        }, Background.THREADS);
        holderStarted.await();
        long t0 = System.nanoTime();
        try {
            tandem.expand();
        } finally {
            stop.set(true); // the reader is endless
        }
        long expandMs = (System.nanoTime() - t0) / 1_000_000;
        reader.get();
        holder.get();

        assertThat(tandem.status().current().orElseThrow().phase()).isEqualTo(Phase.EXPANDED);
        assertThat(retries.get()).as("expand had to give way to the lock holder").isPositive();
        assertThat(expandMs).as("expand waited for the holder to finish").isGreaterThanOrEqualTo(4000);
        assertThat(reads.get()).isGreaterThan(50);
        assertThat(worstReadMs.get()).as("slowest read (ms)").isLessThanOrEqualTo(500 + 200);
    }

    /** A one-shot latch with an unchecked await. */
    static final class CountDown {
        private final java.util.concurrent.CountDownLatch latch = new java.util.concurrent.CountDownLatch(1);

        void done() {
            latch.countDown();
        }

        void await() throws InterruptedException {
            latch.await();
        }
    }
}
