package dev.tandem.mariadb;

import dev.tandem.dialect.Ddl;
import dev.tandem.engine.Names;
import dev.tandem.engine.Step;
import dev.tandem.testing.MariaDb;
import dev.tandem.testing.Rows;
import org.junit.jupiter.api.Test;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * INT to BIGINT on MariaDB as Tandem does it (shadow column, sync triggers, a batched UPDATE backfill, the version
 * database published when the data is complete, then contract) while the previous and the new version write the table
 * as fast as they can: no write of either fails, and the two forms end equal. The same contract in a naive order does
 * make writes fail, so the count is one that can go wrong.
 */
class MariaDbUnderLoadTest {
    private static final int ROWS = 5_000;

    /** The previous version: the table itself, no @tandem_version. */
    private static Writers.Session previous(UsersMigration m) {
        return () -> MariaDbSteps.in(m.database).getConnection();
    }

    /** The new version: its version database, and its name in @tandem_version. */
    private static Writers.Session next(UsersMigration m) {
        return () -> {
            Connection c = MariaDbSteps.in(m.versionDatabase).getConnection();
            MariaDbSteps.exec(c, "SET @tandem_version = " + MariaDb.literal(UsersMigration.VERSION));
            return c;
        };
    }

    private static void update(Connection c, String sql, Object... params) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(sql)) {
            for (int i = 0; i < params.length; i++) ps.setObject(i + 1, params[i]);
            ps.executeUpdate();
        }
    }

    private static final Writers.Write OLD_INSERT = (c, r) -> update(c, "INSERT INTO users (name, n, email) VALUES (?, ?, ?)",
            "old" + r, r, r + "@old");
    private static final Writers.Write OLD_SET_N = (c, r) -> update(c, "UPDATE users SET n = ? WHERE id = ?", r, 1 + r % ROWS);
    private static final Writers.Write OLD_SET_EMAIL = (c, r) -> update(c, "UPDATE users SET email = ? WHERE id = ?",
            r + "@old", 1 + r % ROWS);
    private static final Writers.Write NEW_INSERT = (c, r) -> update(c, "INSERT INTO users (full_name, n, email, display)"
            + " VALUES (?, ?, ?, ?)", "new" + r, r, r + "@new", "New " + r);
    private static final Writers.Write NEW_SET_N = (c, r) -> update(c, "UPDATE users SET n = ? WHERE id = ?", r, 1 + r % ROWS);
    private static final Writers.Write NEW_UPSERT = (c, r) -> update(c, "INSERT INTO users (id, full_name, n) VALUES (?, 'up', ?)"
            + " ON DUPLICATE KEY UPDATE n = VALUES(n)", 1 + r % ROWS, r);

    private static UsersMigration populated(String prefix) {
        UsersMigration m = new UsersMigration(prefix);
        MariaDb.exec(m.database, "INSERT INTO users (name, n, email) SELECT CONCAT('u', seq), seq, NULL FROM seq_1_to_" + ROWS);
        return m;
    }

    /**
     * Batches of 500 keys up to the highest key when it starts (rows inserted later have the trigger), in READ
     * COMMITTED, each retried when it loses a lock conflict, as the backfill does.
     */
    private static void backfill(UsersMigration m) throws SQLException, InterruptedException {
        int highest = ((Number) Rows.scalar(MariaDb.dataSource(), "SELECT MAX(id) FROM " + m.qualified())).intValue();
        try (Connection c = MariaDbSteps.admin().getConnection()) {
            MariaDbSteps.exec(c, "SET SESSION TRANSACTION ISOLATION LEVEL READ COMMITTED");
            for (int from = 1; from <= highest; from += 500) {
                for (int attempt = 1; ; attempt++) {
                    try {
                        MariaDbSteps.exec(c, m.backfillBatch(from, from + 499));
                        break;
                    } catch (SQLException e) {
                        if ((e.getErrorCode() != 1213 && e.getErrorCode() != 1205) || attempt == 20) throw e;
                        Thread.sleep(10L * attempt);
                    }
                }
            }
        }
    }

    /** Runs the steps one by one, each retried while a write holds the table (1205), letting writes happen between. */
    private static void contract(List<Step> steps, Writers writers) throws Exception {
        for (Step step : steps) {
            for (int attempt = 1; ; attempt++) {
                try {
                    MariaDbSteps.apply(step);
                    break;
                } catch (SQLException e) {
                    if (e.getErrorCode() != 1205 || attempt == 200) throw e;
                    Thread.sleep(dev.tandem.engine.Executor.backoff(Math.min(attempt, 3)).toMillis());
                }
            }
            writers.atLeast(300);
        }
    }

    @Test
    void intToBigintUnderBothVersionsWritesEndsEqualWithNoFailedWrite() throws Exception {
        UsersMigration m = populated("load_bigint");
        try (Writers writers = new Writers()) {
            writers.start("previous", previous(m), OLD_INSERT, OLD_SET_N, OLD_SET_EMAIL);
            writers.atLeast(200);
            for (Step step : m.expand()) contract(List.of(step), writers);
            backfill(m);
            m.publish().forEach(MariaDbSteps::run);
            writers.start("new", next(m), NEW_INSERT, NEW_SET_N, NEW_UPSERT);
            writers.atLeast(2_000);
            writers.close();
            System.out.printf("INT to BIGINT under load: %d writes, %d failed %s%n", writers.done.get(), writers.errors.get(),
                    writers.messages);
            assertThat(writers.errors.get()).as(String.valueOf(writers.messages)).isZero();
        }
        assertThat(Rows.scalar(MariaDb.dataSource(), "SELECT COUNT(*) FROM " + m.qualified() + " WHERE NOT (n <=> "
                + MariaDb.quote(UsersMigration.SHADOW) + ") OR " + Names.DONE_COLUMN + " IS NOT TRUE OR display IS NULL")).isEqualTo(0L);
        assertThat((Long) Rows.scalar(MariaDb.dataSource(), "SELECT COUNT(*) FROM " + m.qualified())).isGreaterThan(ROWS);
    }

    /**
     * A migration whose backfill is done and whose version database is published, with the previous version's database
     * (a view over the table's old columns) still there: what contract starts from.
     */
    private static UsersMigration readyToContract(String prefix) throws Exception {
        UsersMigration m = populated(prefix);
        m.expand().forEach(MariaDbSteps::run);
        backfill(m);
        m.publish().forEach(MariaDbSteps::run);
        String previous = previousVersionDatabase(m);
        MariaDbSteps.run(m.ddl.createSchema(previous));
        MariaDbSteps.run(m.ddl.createView(previous, "users", m.database, "users", List.of(new Ddl.ViewColumn("id", "id"),
                new Ddl.ViewColumn("name", "name"), new Ddl.ViewColumn("n", "n"),
                new Ddl.ViewColumn("email", "email")), false));
        return m;
    }

    private static String previousVersionDatabase(UsersMigration m) {
        return m.database + "_001_init";
    }

    /**
     * The design's contract order: drop the previous version database; give the old-form NOT NULL column the new
     * version does not write a constant default; drop the sync triggers; drop the old columns.
     */
    private static List<Step> contractInOrder(UsersMigration m) {
        return MariaDbSteps.flat(m.ddl.dropSchema(previousVersionDatabase(m), List.of("users")),
                m.ddl.setDefault(m.database, "users", "n", "0"),
                m.ddl.dropSyncTrigger(m.syncTrigger()),
                m.ddl.dropColumn(m.database, "users", "n", List.of()),
                m.ddl.dropColumn(m.database, "users", Names.DONE_COLUMN, List.of()));
    }

    private static Writers contractUnderLoad(UsersMigration m, List<Step> steps) throws Exception {
        Writers writers = new Writers();
        try (writers) {
            // The previous version's last writers touch only what both versions keep (an old instance's background
            // job); the new version writes everything it has.
            writers.start("previous", previous(m), OLD_SET_EMAIL);
            writers.start("new", next(m), NEW_INSERT, NEW_SET_N, NEW_UPSERT);
            writers.atLeast(300);
            contract(steps, writers);
        }
        return writers;
    }

    @Test
    void contractInTheDesignsOrderFailsNoWriteOfEitherVersion() throws Exception {
        UsersMigration m = readyToContract("load_contract");
        Writers writers = contractUnderLoad(m, contractInOrder(m));
        System.out.printf("contract in order: %d writes, %d failed %s%n", writers.done.get(), writers.errors.get(), writers.messages);
        assertThat(writers.errors.get()).as(String.valueOf(writers.messages)).isZero();
        // The shadow column keeps its physical name; the version database keeps aliasing it.
        assertThat(Rows.scalar(MariaDb.dataSource(m.versionDatabase), "SELECT COUNT(*) FROM users WHERE n IS NULL")).isEqualTo(0L);
        Rows.update(MariaDb.dataSource(m.versionDatabase), "INSERT INTO users (full_name, n) VALUES ('after', 3000000000)");
        assertThat(Rows.scalar(MariaDb.dataSource(m.versionDatabase), "SELECT n FROM users WHERE full_name = 'after'"))
                .isEqualTo(3_000_000_000L);
    }

    /** The same contract with the old column dropped while the sync triggers still name it: writes fail. */
    @Test
    void aNaiveContractOrderFailsWrites() throws Exception {
        UsersMigration m = readyToContract("load_naive");
        Writers writers = contractUnderLoad(m, MariaDbSteps.flat(m.ddl.dropSchema(previousVersionDatabase(m), List.of("users")),
                m.ddl.dropColumn(m.database, "users", "n", List.of()),
                m.ddl.dropSyncTrigger(m.syncTrigger()),
                m.ddl.dropColumn(m.database, "users", Names.DONE_COLUMN, List.of())));
        System.out.printf("contract, old column dropped first: %d writes, %d failed %s%n", writers.done.get(),
                writers.errors.get(), writers.messages);
        assertThat(writers.errors.get()).isPositive();
        assertThat(writers.messages).anyMatch(s -> s.contains("Unknown column 'n'"));
    }

    /** Without the constant default, the new version's inserts fail between dropping the triggers and the column. */
    @Test
    void droppingTheSyncTriggersBeforeTheDefaultFailsTheNewVersionsInserts() throws Exception {
        UsersMigration m = readyToContract("load_nodefault");
        Writers writers = contractUnderLoad(m, MariaDbSteps.flat(m.ddl.dropSchema(previousVersionDatabase(m), List.of("users")),
                m.ddl.dropSyncTrigger(m.syncTrigger()),
                m.ddl.setDefault(m.database, "users", "n", "0"),
                m.ddl.dropColumn(m.database, "users", "n", List.of())));
        System.out.printf("contract, triggers dropped before the default: %d writes, %d failed %s%n", writers.done.get(),
                writers.errors.get(), writers.messages);
        assertThat(writers.errors.get()).isPositive();
        assertThat(writers.messages).anyMatch(s -> s.contains("doesn't have a default value"));
    }

    /** How a NOT NULL change went under load: attempts and time of its statement, and what the writers saw throughout. */
    private record NotNullRun(int attempts, long stepMillis, Writers writers) {
        @Override
        public String toString() {
            return attempts + " attempt(s) in " + stepMillis + " ms; writers: " + writers.done.get() + " writes, "
                    + writers.errors.get() + " failed, slowest " + writers.slowestMillis.get() + " ms " + writers.messages;
        }
    }

    /** Runs {@code step} as the executor does (its timeouts, retried on a lock wait), counting attempts. */
    private static int[] retried(Step step) throws Exception {
        long started = System.nanoTime();
        try (Connection c = MariaDbSteps.admin().getConnection()) {
            boolean weak = step.mode() != Step.Mode.TRANSACTIONAL;
            new dev.tandem.dialect.mariadb.MariaDbDialect(dev.tandem.dialect.mariadb.MariaDbDialect.Flavor.MARIADB)
                    .setDdlTimeouts(c, weak ? java.time.Duration.ZERO : MariaDbSteps.LOCK_TIMEOUT,
                            weak ? java.time.Duration.ZERO : java.time.Duration.ofSeconds(30));
            for (int attempt = 1; ; attempt++) {
                try {
                    MariaDbSteps.exec(c, step.sql());
                    return new int[]{attempt, (int) ((System.nanoTime() - started) / 1_000_000)};
                } catch (SQLException e) {
                    // 1205: NOWAIT or WAIT found the lock taken; 1969: max_statement_time ended the wait.
                    if ((e.getErrorCode() != 1205 && e.getErrorCode() != 1969) || attempt == 2_000) throw e;
                    // The executor's pauses for such a step: jittered, at most 250 ms (Dialect.longestRetryPause).
                    Thread.sleep(dev.tandem.engine.Executor.backoff(Math.min(attempt, 3)).toMillis());
                }
            }
        }
    }

    /**
     * INT to BIGINT of a column that stays NOT NULL, under both versions' writers from expand to contract's point,
     * its new form made NOT NULL either {@code atExpand} (added NOT NULL with a placeholder default dropped
     * once the sync trigger is there, INSTANT both: what the planner does) or at contract
     * (added nullable, then MODIFY ... NOT NULL, ALGORITHM=INPLACE with NOWAIT: what it did before).
     */
    private static NotNullRun notNullUnderLoad(String prefix, boolean atExpand) throws Exception {
        UsersMigration m = populated(prefix);
        Step addShadow = atExpand ? m.ddl.addNotNullColumn(m.database, "users", UsersMigration.SHADOW, "BIGINT", null, null)
                : m.ddl.addColumn(m.database, "users", UsersMigration.SHADOW, "BIGINT");
        int[] notNull;
        Writers writers = new Writers();
        try (writers) {
            writers.start("previous", previous(m), OLD_INSERT, OLD_SET_N, OLD_SET_EMAIL);
            writers.atLeast(300);
            int[] added = retried(addShadow);
            notNull = added;
            for (Step step : m.expand().subList(1, m.expand().size())) contract(List.of(step), writers);
            if (atExpand) {
                // The placeholder default goes once the sync trigger fills the column (the planner's CONSTRAINTS stage).
                contract(List.of(m.ddl.dropDefault(m.database, "users", UsersMigration.SHADOW)), writers);
                assertThat(Rows.scalar(MariaDb.dataSource(), "SELECT IS_NULLABLE FROM information_schema.COLUMNS WHERE"
                        + " TABLE_SCHEMA = ? AND TABLE_NAME = 'users' AND COLUMN_NAME = ?", m.database, UsersMigration.SHADOW))
                        .as("NOT NULL from expand on").isEqualTo("NO");
            }
            backfill(m);
            m.publish().forEach(MariaDbSteps::run);
            writers.start("new", next(m), NEW_INSERT, NEW_SET_N, NEW_UPSERT);
            writers.atLeast(500);
            if (!atExpand) notNull = retried(m.ddl.setNotNull(m.database, "users", UsersMigration.SHADOW));
            writers.atLeast(300);
        }
        assertThat(Rows.scalar(MariaDb.dataSource(), "SELECT COUNT(*) FROM " + m.qualified() + " WHERE NOT (n <=> "
                + MariaDb.quote(UsersMigration.SHADOW) + ")")).isEqualTo(0L);
        return new NotNullRun(notNull[0], notNull[1], writers);
    }

    /**
     * The figures behind "NOT NULL on MariaDB" in docs/DESIGN.md: the same change made NOT NULL at contract in place and
     * at expand by adding the column NOT NULL. Neither fails a write; the in-place way needs NOWAIT attempts until the
     * busy table lets one in, the added-NOT-NULL way one catalog-only statement.
     */
    @Test
    void notNullAddedAtExpandNeedsNoInPlaceChangeAndFailsNoWrite() throws Exception {
        NotNullRun inPlace = notNullUnderLoad("load_nn_inplace", false);
        NotNullRun added = notNullUnderLoad("load_nn_added", true);
        System.out.printf("NOT NULL in place at contract: %s%nNOT NULL added at expand: %s%n", inPlace, added);
        assertThat(inPlace.writers.errors.get()).as(String.valueOf(inPlace.writers.messages)).isZero();
        assertThat(added.writers.errors.get()).as(String.valueOf(added.writers.messages)).isZero();
    }
}
