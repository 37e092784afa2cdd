package dev.tandem.lifecycle;

import dev.tandem.Tandem;
import dev.tandem.TandemListener;
import dev.tandem.engine.Step;
import dev.tandem.state.Phase;
import dev.tandem.testing.Background;
import dev.tandem.testing.Migrations;
import dev.tandem.testing.Rows;
import dev.tandem.testing.TestDatabase;
import dev.tandem.testing.TestDatabase.OnEveryDatabase;
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
 * so the application's readers and writers never queue behind it for longer than lock_timeout. On every database:
 * on MariaDB the holder's lock is the metadata lock its open transaction keeps on the table, and expand's statements
 * wait for theirs at most the lock timeout through {@code max_statement_time} (DESIGN.md, "DDL and lock waits on
 * MariaDB"); a waiting ALTER queues every later reader and writer of the table behind it there too.
 */
class LockSafetyTest {
    /** UserTableLifecycleTest.V2 in MariaDB's words: {@code ||} is OR there, and a unique TEXT would be a hash key. */
    static final String MARIADB_V2 = UserTableLifecycleTest.V2
            .replace("type: text, nullable: false, unique: true", "type: varchar(200), nullable: false, unique: true")
            .replace("\"lower(name) || '@example.org'\"", "\"CONCAT(LOWER(name), '@example.org')\"");

    @TempDir
    Path dir;

    @OnEveryDatabase
    void readersAndWritersNeverWaitLongerThanLockTimeoutWhileExpandAndContractRetry(TestDatabase db) throws Exception {
        assertThat(MARIADB_V2).doesNotContain("||").contains("varchar(200)");
        String schema = db.newSchema("locks");
        new Migrations(dir).write("001_init.yaml", UserTableLifecycleTest.V1);
        AtomicInteger retries = new AtomicInteger();
        Tandem tandem = db.tandem(schema).migrations(dir)
                .lockTimeout(Duration.ofMillis(500))
                .listener(new TandemListener() {
                    @Override
                    public void stepRetry(String migration, Step step, int attempt, Duration wait, String reason) {
                        retries.incrementAndGet();
                    }

                    // MariaDB's lock probes fail silently and a step that long transactions hold back says so instead.
                    @Override
                    public void stepHeldBack(String migration, Step step, String why, Duration heldFor) {
                        retries.incrementAndGet();
                    }
                }).load();
        tandem.migrate();
        DataSource app = db.application(schema, "001_init");
        Rows.update(app, "INSERT INTO users (name, enabled, extra) SELECT CONCAT('u', g), 1, 'x' FROM " + db.series(200));
        new Migrations(dir).write("002_user_email.yaml", db == TestDatabase.POSTGRES ? UserTableLifecycleTest.V2 : MARIADB_V2);

        Held expand = whileAHolderKeepsTheTable(app, "SELECT name FROM users WHERE id = 2",
                "UPDATE users SET extra = 'w' WHERE id = 3", tandem::expand);
        assertThat(tandem.status().current().orElseThrow().phase()).isEqualTo(Phase.EXPANDED);
        assertThat(retries.get()).as("expand had to give way to the lock holder").isPositive();
        expand.assertBounded("expand");

        // Contract, with the new version running: each of its statements gives way alike.
        tandem.backfill();
        DataSource next = db.application(schema, "002_user_email");
        retries.set(0);
        Held contract = whileAHolderKeepsTheTable(next, "SELECT username FROM users WHERE id = 2",
                "UPDATE users SET email = CONCAT('w', id) WHERE id = 3", tandem::contract);
        assertThat(tandem.status().migrations().stream().filter(m -> m.name().equals("002_user_email")).findFirst()
                .orElseThrow().phase()).isEqualTo(Phase.COMPLETE);
        assertThat(retries.get()).as("contract had to give way to the lock holder").isPositive();
        contract.assertBounded("contract");
    }

    /** What the application saw while a command ran next to a transaction holding the table for 5 s. */
    record Held(long commandMs, int reads, long worstReadMs, int writes, long worstWriteMs) {
        void assertBounded(String command) {
            System.out.println(command + " next to a 5 s holder: " + this);
            assertThat(commandMs).as(command + " waited for the holder to finish").isGreaterThanOrEqualTo(4000);
            assertThat(reads).isGreaterThan(50);
            assertThat(worstReadMs).as("slowest read (ms) during " + command).isLessThanOrEqualTo(500 + 200);
            assertThat(writes).isGreaterThan(50);
            assertThat(worstWriteMs).as("slowest write (ms) during " + command).isLessThanOrEqualTo(500 + 200);
        }
    }

    /**
     * Runs {@code command} while one session of {@code app} holds the table in an open transaction for 5 s (it read
     * row 1), another reads row 2 and another writes row 3 every 10 ms; their row locks never conflict, only the
     * table's lock queue could.
     */
    private static Held whileAHolderKeepsTheTable(DataSource app, String read, String write, Runnable command) throws Exception {
        AtomicBoolean stop = new AtomicBoolean();
        AtomicLong worstReadMs = new AtomicLong();
        AtomicInteger reads = new AtomicInteger();
        AtomicLong worstWriteMs = new AtomicLong();
        AtomicInteger writes = new AtomicInteger();
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
        CompletableFuture<Void> reader = repeat(app, stop, read, reads, worstReadMs);
        CompletableFuture<Void> writer = repeat(app, stop, write, writes, worstWriteMs);
        holderStarted.await();
        long t0 = System.nanoTime();
        try {
            command.run();
        } finally {
            stop.set(true); // the reader and the writer are endless
        }
        long commandMs = (System.nanoTime() - t0) / 1_000_000;
        reader.get();
        writer.get();
        holder.get();
        return new Held(commandMs, reads.get(), worstReadMs.get(), writes.get(), worstWriteMs.get());
    }

    private static CompletableFuture<Void> repeat(DataSource app, AtomicBoolean stop, String sql, AtomicInteger count,
                                                  AtomicLong worstMs) {
        return CompletableFuture.runAsync(() -> {
            try (Connection c = app.getConnection(); Statement st = c.createStatement()) {
                while (!stop.get()) {
                    long t0 = System.nanoTime();
                    st.execute(sql);
                    worstMs.accumulateAndGet((System.nanoTime() - t0) / 1_000_000, Math::max);
                    count.incrementAndGet();
                    Thread.sleep(10);
                }
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        }, Background.THREADS);
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
