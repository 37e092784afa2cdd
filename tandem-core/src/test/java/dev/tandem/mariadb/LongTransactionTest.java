package dev.tandem.mariadb;

import dev.tandem.Tandem;
import dev.tandem.TandemException;
import dev.tandem.TandemListener;
import dev.tandem.engine.Step;
import dev.tandem.testing.MariaDb;
import dev.tandem.testing.Migrations;
import dev.tandem.testing.Rows;
import dev.tandem.testing.TestDatabase;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * An in-place step (here expand's index build, ALGORITHM=NOCOPY) is not started while another session's transaction
 * that read the table long ago is still open: the step waits, naming the connection, its login and host and how to end
 * it, and runs once the transaction commits; if it never does, the command refuses after its retry deadline, having
 * built nothing. Meanwhile the table's writers see no error and no stall near the lock timeout, because nothing queues
 * for the table's metadata lock (docs/DESIGN.md, "Long transactions").
 */
class LongTransactionTest {
    private static final TestDatabase db = TestDatabase.MARIADB;
    private static final Duration LOCK_TIMEOUT = Duration.ofMillis(500);

    @TempDir
    Path dir;

    private String schema;

    private Tandem.Config prepared() throws Exception {
        schema = db.newSchema("longtrx");
        new Migrations(dir).write("001_init.yaml", Migrations.ITEMS_ID_QTY);
        db.tandem(schema).migrations(dir).load().migrate();
        // The Sequence engine's table is found in the default database.
        MariaDb.exec(schema, "INSERT INTO items SELECT seq, seq FROM seq_1_to_2000");
        new Migrations(dir).write("002_qty_index.yaml", """
                operations:
                  - create_index: {table: items, name: items_qty, columns: [qty]}
                """);
        return db.tandem(schema).migrations(dir).lockTimeout(LOCK_TIMEOUT);
    }

    /** A transaction that has read the table and stays open, on a connection of its own. */
    private Connection openTransactionOnTheTable() throws Exception {
        Connection holder = MariaDb.dataSource(schema).getConnection();
        holder.setAutoCommit(false);
        try (Statement st = holder.createStatement()) {
            st.executeQuery("SELECT COUNT(*) FROM items").close();
        }
        return holder;
    }

    private static long connectionId(Connection c) throws Exception {
        try (Statement st = c.createStatement(); var rs = st.executeQuery("SELECT CONNECTION_ID()")) {
            rs.next();
            return rs.getLong(1);
        }
    }

    private boolean indexBuilt() {
        return ((Number) Rows.scalar(db.dataSource(), "SELECT COUNT(*) FROM information_schema.STATISTICS WHERE TABLE_SCHEMA = '"
                + schema + "' AND INDEX_NAME = 'items_qty'")).longValue() > 0;
    }

    @Test
    void theBuildWaitsForTheTransactionByNameAndRunsWhenItCommits() throws Exception {
        List<String> heldBack = new CopyOnWriteArrayList<>();
        Tandem tandem = prepared().listener(new TandemListener() {
            @Override
            public void stepHeldBack(String migration, Step step, String why, Duration heldFor) {
                heldBack.add(why);
            }
        }).load();
        try (Connection holder = openTransactionOnTheTable(); WriterLoop writers = new WriterLoop(schema)) {
            long id = connectionId(holder);
            Thread.sleep(3_000);   // the transaction read the table 3 s ago: older than the lock timeout, rounded up, + 1 s
            CompletableFuture<Void> expand = CompletableFuture.runAsync(() -> tandem.expand());
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
            while (heldBack.isEmpty() && System.nanoTime() < deadline) Thread.sleep(50);
            assertThat(heldBack).as("the build waits for the transaction by name").isNotEmpty();
            assertThat(heldBack.get(0)).contains("connection " + id + " (root@").contains("KILL CONNECTION " + id);
            Thread.sleep(2_000);
            assertThat(expand).isNotDone();
            assertThat(indexBuilt()).isFalse();
            holder.commit();
            expand.get(30, TimeUnit.SECONDS);
            assertThat(indexBuilt()).isTrue();
            writers.stop();
            System.out.printf("long transaction: %d writes, %d failed, slowest %d ms, held back: %s%n", writers.done,
                    writers.errors.size(), writers.slowestMillis, heldBack.get(0));
            assertThat(writers.errors).isEmpty();
            assertThat(writers.done).isGreaterThan(100);
            assertThat(writers.slowestMillis).isLessThan(LOCK_TIMEOUT.toMillis());
        }
    }

    @Test
    void aTransactionThatNeverEndsRefusesTheStepNamingItHavingBuiltNothing() throws Exception {
        Tandem tandem = prepared().retryDeadline(Duration.ofSeconds(4)).load();
        try (Connection holder = openTransactionOnTheTable()) {
            long id = connectionId(holder);
            Thread.sleep(3_000);
            assertThatThrownBy(tandem::expand).isInstanceOfSatisfying(TandemException.class,
                            e -> assertThat(e.kind()).isEqualTo(TandemException.Kind.REFUSED))
                    .hasMessageContaining("was not started").hasMessageContaining("connection " + id + " (root@")
                    .hasMessageContaining("KILL CONNECTION " + id).hasMessageContaining("run the command again");
            assertThat(indexBuilt()).isFalse();
            holder.rollback();
        }
        tandem.expand();
        assertThat(indexBuilt()).isTrue();
    }

    /**
     * What the check reads (INNODB_TRX, with PROCESS): a transaction that has only read the table counts from its read
     * on, whatever the time zones of the sessions; one that committed, or a session in autocommit, does not; nor does a
     * transaction younger than the lock timeout, rounded up to a second, plus a second.
     */
    @Test
    void theServerListsATransactionThatOnlyReadButNotAnIdleSession() throws Exception {
        listsTheOpenTransaction(db.dialect());
    }

    /**
     * The MySQL flavor's form, run here on MariaDB, which accepts it too: no SET STATEMENT (MySQL has none), the
     * session's time zone set to the server's for the read and put back after it. Its text: MySqlFlavorQueriesTest.
     */
    @Test
    void theMySqlFormListsItAlikeAndGivesTheSessionItsTimeZoneBack() throws Exception {
        listsTheOpenTransaction(new dev.tandem.dialect.mariadb.MariaDbDialect(
                dev.tandem.dialect.mariadb.MariaDbDialect.Flavor.MYSQL));
    }

    private void listsTheOpenTransaction(dev.tandem.dialect.Dialect dialect) throws Exception {
        prepared();
        try (Connection holder = openTransactionOnTheTable(); Connection idle = MariaDb.dataSource(schema).getConnection();
             Connection tandem = MariaDb.dataSource().getConnection()) {
            try (Statement st = holder.createStatement()) {
                st.execute("SET time_zone = '-07:00'");
            }
            try (Statement st = tandem.createStatement()) {
                st.execute("SET time_zone = '+05:00'");
            }
            try (Statement st = idle.createStatement()) {
                st.executeQuery("SELECT COUNT(*) FROM items").close();
            }
            long id = connectionId(holder);
            assertThat(dialect.longTransactions(tandem, LOCK_TIMEOUT)).as("a transaction of a moment").isEmpty();
            Thread.sleep(2_600);
            assertThat(dialect.longTransactions(tandem, LOCK_TIMEOUT)).singleElement().satisfies(t -> {
                assertThat(t.connection()).isEqualTo(id);
                assertThat(t.user()).isEqualTo("root");
                assertThat(t.open()).isGreaterThanOrEqualTo(Duration.ofSeconds(2));
                assertThat(t.endIt()).isEqualTo("KILL CONNECTION " + id);
            });
            holder.commit();
            Thread.sleep(1_100);
            assertThat(dialect.longTransactions(tandem, LOCK_TIMEOUT)).isEmpty();
            try (Statement st = tandem.createStatement(); var rs = st.executeQuery("SELECT @@SESSION.time_zone")) {
                rs.next();
                assertThat(rs.getString(1)).as("the session's own time zone").isEqualTo("+05:00");
            }
        }
    }

    /** Single-row updates of the table in autocommit, as fast as they go, timing each. */
    private static final class WriterLoop implements AutoCloseable {
        final List<String> errors = new CopyOnWriteArrayList<>();
        volatile long slowestMillis;
        volatile int done;
        private volatile boolean stop;
        private final Thread thread;

        WriterLoop(String schema) {
            thread = new Thread(() -> {
                try (Connection c = MariaDb.dataSource(schema).getConnection();
                     PreparedStatement ps = c.prepareStatement("UPDATE items SET qty = qty + 1 WHERE id = ?")) {
                    for (int i = 0; !stop; i++) {
                        long start = System.nanoTime();
                        try {
                            ps.setInt(1, 1 + i % 2000);
                            ps.executeUpdate();
                            done++;
                        } catch (java.sql.SQLException e) {
                            errors.add(e.getErrorCode() + " " + e.getMessage());
                        }
                        slowestMillis = Math.max(slowestMillis, (System.nanoTime() - start) / 1_000_000);
                        Thread.sleep(2);
                    }
                } catch (Exception e) {
                    errors.add("writer: " + e);
                }
            }, "writer");
            thread.start();
        }

        void stop() throws InterruptedException {
            stop = true;
            thread.join(10_000);
        }

        @Override
        public void close() throws InterruptedException {
            stop();
        }
    }
}
