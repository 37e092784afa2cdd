package dev.tandem.mariadb;

import dev.tandem.dialect.Dialect;
import dev.tandem.dialect.mariadb.MariaDbDdl;
import dev.tandem.engine.Step;
import dev.tandem.testing.MariaDb;
import dev.tandem.testing.Rows;
import dev.tandem.testing.TestDatabase;
import org.junit.jupiter.api.Test;

import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@link Dialect#executeWaitingForLock} on MariaDB: an index build (NOCOPY, written with NOWAIT) whose table a
 * transaction holds waits for the metadata lock the lock timeout, 500 ms, not the whole second its {@code WAIT 1}
 * allows, and is then ended (KILL QUERY by its watchdog) with a retryable 1205 that says so; a reader queued behind it
 * goes on then; nothing is left built; once the table is free the same call builds the index.
 */
class BoundedInPlaceWaitTest {
    private static final TestDatabase db = TestDatabase.MARIADB;
    private static final Duration LOCK_TIMEOUT = Duration.ofMillis(500);

    @Test
    void aBuildWaitsTheLockTimeoutThenGivesWay() throws Exception {
        String database = MariaDb.newDatabase("bounded");
        MariaDb.exec(database, "CREATE TABLE t (id INT PRIMARY KEY, code INT)", "INSERT INTO t SELECT seq, seq FROM seq_1_to_20000");
        Step build = new MariaDbDdl().createIndex(database, "t", "t_code", List.of("code"), false, null);
        assertThat(build.sql()).contains(" NOWAIT ");
        Dialect dialect = db.dialect();
        Dialect.Connections others = () -> MariaDb.dataSource(database).getConnection();
        try (Connection holder = MariaDb.dataSource(database).getConnection();
             Connection migrator = MariaDb.dataSource(database).getConnection();
             Connection reader = MariaDb.dataSource(database).getConnection()) {
            holder.setAutoCommit(false);
            try (Statement st = holder.createStatement()) {
                st.executeQuery("SELECT COUNT(*) FROM t WHERE id = 1").close();
            }
            long start = System.nanoTime();
            CompletableFuture<SQLException> attempt = CompletableFuture.supplyAsync(() -> {
                try {
                    dialect.executeWaitingForLock(migrator, build.sql(), LOCK_TIMEOUT, others);
                    return null;
                } catch (SQLException e) {
                    return e;
                }
            });
            Thread.sleep(100);
            long readStart = System.nanoTime();
            try (Statement st = reader.createStatement()) {
                st.executeQuery("SELECT COUNT(*) FROM t WHERE id = 2").close();   // queues behind the build's request
            }
            long readMs = (System.nanoTime() - readStart) / 1_000_000;
            SQLException failure = attempt.get(5, TimeUnit.SECONDS);
            long attemptMs = (System.nanoTime() - start) / 1_000_000;
            System.out.printf("bounded in-place wait (%s): gave way after %d ms, queued reader waited %d ms: %s%n",
                    MariaDb.serverVersion(), attemptMs, readMs, failure == null ? "built" : failure.getMessage());
            assertThat((Throwable) failure).as("the build gave way").isNotNull();
            assertThat(failure.getErrorCode()).isEqualTo(1205);
            assertThat(dialect.isRetryable(failure)).isTrue();
            assertThat(failure.getMessage()).contains("500 ms");
            assertThat(attemptMs).as("gave way after, ms").isBetween(LOCK_TIMEOUT.toMillis() - 50, 900L);
            assertThat(readMs).as("queued reader, ms").isLessThan(LOCK_TIMEOUT.toMillis() + 300);
            assertThat(indexes(database)).isZero();
            holder.commit();
            dialect.executeWaitingForLock(migrator, build.sql(), LOCK_TIMEOUT, others);
            assertThat(indexes(database)).isOne();
        }
    }

    private static long indexes(String database) {
        return ((Number) Rows.scalar(MariaDb.dataSource(), "SELECT COUNT(*) FROM information_schema.STATISTICS"
                + " WHERE TABLE_SCHEMA = '" + database + "' AND INDEX_NAME = 't_code'")).longValue();
    }
}
