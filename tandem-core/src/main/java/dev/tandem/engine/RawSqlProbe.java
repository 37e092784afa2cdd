package dev.tandem.engine;

import dev.tandem.dialect.Dialect;
import dev.tandem.migration.Migration;
import dev.tandem.migration.MigrationException;
import dev.tandem.migration.Operation;

import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Savepoint;
import java.sql.Statement;
import java.time.Duration;
import java.util.IdentityHashMap;
import java.util.Map;
import java.util.List;

/**
 * Runs a migration's raw {@code sql} operations, in order, inside the caller's open transaction, which the caller
 * always rolls back. Two things come of it: the planner sees the catalog as the migration's own SQL leaves it (a type
 * or column it creates), and each raw step's lock is measured (what this session holds in {@code pg_locks} after
 * the statement) instead of guessed. Each statement runs under a short lock and statement timeout, so a probe on a
 * live database never queues the application behind it for long.
 */
public final class RawSqlProbe {
    private final Dialect dialect;
    private final Duration timeout;

    /** How the reason of a raw SQL statement that timed out starts: expand tries those again. */
    public static final String TIMED_OUT = "it did not finish within";

    /** What probing one raw SQL operation showed: the locks it took, or (when it did not finish) why they are unknown. */
    public record Result(boolean finished, List<TableLock> locks, String unknownReason) {
    }

    public RawSqlProbe(Dialect dialect, Duration timeout) {
        this.dialect = dialect;
        this.timeout = timeout;
    }

    /**
     * Runs every raw SQL operation of {@code migration} in the open transaction of {@code c}.
     *
     * @return per operation, what was measured
     * @throws MigrationException when a statement fails for a reason other than a timeout: the operation's
     *                            location and the database's message; later operations are not run
     */
    public Map<Operation.RawSql, Result> run(Connection c, Migration migration) throws SQLException {
        Map<Operation.RawSql, Result> results = new IdentityHashMap<>();
        boolean afterOtherOperations = false;
        for (Operation op : migration.operations()) {
            if (!(op instanceof Operation.RawSql raw)) {
                afterOtherOperations = true;
                continue;
            }
            dialect.setTransactionTimeouts(c, timeout, timeout);
            Dialect.RelationNames names = dialect.relationNames(c);
            List<TableLock> before;
            try {
                before = dialect.relationLocksHeld(c, names);
            } catch (Dialect.LocksUnknown e) {
                // Nothing to measure the statement by: the plan says so rather than claiming it locks nothing. Nor is
                // it tried: where a session cannot see its locks (MariaDB without METADATA_LOCK_INFO) DDL commits on
                // its own, and the rollback that ends the probe would not undo it.
                results.put(raw, new Result(false, List.of(), "this server does not show a session's locks: " + e.getMessage()));
                continue;
            }
            Savepoint sp = c.setSavepoint();
            try (Statement st = c.createStatement()) {
                st.execute(raw.up());
            } catch (SQLException e) {
                c.rollback(sp);
                if (dialect.isRetryable(e)) {
                    results.put(raw, new Result(false, List.of(), TIMED_OUT + " " + timeout.toMillis()
                            + " ms when it was tried (waiting for a lock, or running long)"));
                    continue;
                }
                if (dialect.cannotRunInTransaction(e)) {
                    throw new MigrationException(migration.at(raw, "up"), "the sql operation cannot run inside a"
                            + " transaction (" + dialect.describeError(e) + "), and expand runs raw SQL in one, so that"
                            + " a failure leaves nothing half done. For CREATE INDEX CONCURRENTLY use create_index, which"
                            + " builds concurrently; run other such statements outside Tandem");
                }
                if (afterOtherOperations) {
                    // The probe runs raw SQL only: what earlier operations of the migration create is not there yet,
                    // so a failure here may be theirs to prevent. Expand runs it after them and says if it fails.
                    results.put(raw, new Result(false, List.of(), "it failed when tried without the operations before it"
                            + " (plan runs only raw SQL): " + dialect.describeError(e)));
                    continue;
                }
                throw new MigrationException(migration.at(raw, "up"), "the sql operation fails: " + dialect.describeError(e));
            }
            results.put(raw, new Result(true, taken(before, dialect.relationLocksHeld(c, names)), null));
            c.releaseSavepoint(sp);
        }
        checkDowns(c, migration, results);
        return results;
    }

    /**
     * Runs each {@code down} after all the ups, last first, as rollback will: a down that fails would leave a rollback
     * that cannot finish. Only where every up ran (a down after an up that did not finish proves nothing).
     */
    private void checkDowns(Connection c, Migration migration, Map<Operation.RawSql, Result> results) throws SQLException {
        if (results.values().stream().anyMatch(r -> !r.finished())) return;
        // The plan is made from the catalog after the ups: what the downs did is undone again afterwards.
        Savepoint afterUps = c.setSavepoint();
        try {
            List<Operation> ops = migration.operations();
            for (int i = ops.size() - 1; i >= 0; i--) {
                if (!(ops.get(i) instanceof Operation.RawSql raw) || raw.down() == null) continue;
                Savepoint sp = c.setSavepoint();
                try (Statement st = c.createStatement()) {
                    st.execute(raw.down());
                    c.releaseSavepoint(sp);
                } catch (SQLException e) {
                    c.rollback(sp);
                    if (dialect.isRetryable(e)) return;
                    throw new MigrationException(migration.at(raw, "down"), "the sql operation's down fails when run after"
                            + " its up, as rollback would run it: " + dialect.describeError(e));
                }
            }
        } finally {
            c.rollback(afterUps);
        }
    }

    /**
     * The locks taken by the statement: relations locked now that were not, or locked more strongly than before. A
     * lock an earlier raw statement of the same migration already took is not seen again (the transaction holds it).
     */
    private static List<TableLock> taken(List<TableLock> before, List<TableLock> after) {
        return after.stream().filter(a -> !before.contains(a)).toList();
    }
}
