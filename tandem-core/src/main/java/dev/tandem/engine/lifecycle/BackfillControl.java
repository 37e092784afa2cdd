package dev.tandem.engine.lifecycle;

import dev.tandem.Outcome;
import dev.tandem.engine.LockHolders;
import dev.tandem.engine.MigrationLock;
import dev.tandem.migration.Migration;
import dev.tandem.state.StateStore;

import java.sql.Connection;
import java.sql.SQLException;
import java.util.List;

import static dev.tandem.engine.lifecycle.Refusals.refused;

/**
 * Pauses, resumes and rate-limits the running backfill from any process. Control needs no migration lock: the
 * backfill that holds it reads these settings before every batch.
 */
public final class BackfillControl {
    private final StateStore state;
    private final MigrationFiles migrationFiles;
    private final LockHolders holders;
    private final String lockKey;

    /** @param lockKey the migration lock's name ({@link MigrationSession#lockKey}): a backfill holding it is running */
    public BackfillControl(StateStore state, MigrationFiles migrationFiles, LockHolders holders, String lockKey) {
        this.state = state;
        this.migrationFiles = migrationFiles;
        this.holders = holders;
        this.lockKey = lockKey;
    }

    @FunctionalInterface
    private interface Control {
        void apply(Connection c, String migration) throws SQLException;
    }

    /** The backfill holds before its next batch. */
    public Outcome pause(Connection c, List<Migration> files) throws SQLException {
        return control(c, files, "pause", "paused", (conn, migration) -> state.setPaused(conn, migration, true));
    }

    public Outcome resume(Connection c, List<Migration> files) throws SQLException {
        return control(c, files, "resume", "resumed", (conn, migration) -> state.setPaused(conn, migration, false));
    }

    /** Sets (or with null, lifts) the rate limit, in rows per second; it applies from the next batch. */
    public Outcome rate(Connection c, List<Migration> files, Integer maxRowsPerSecond) throws SQLException {
        return control(c, files, "rate-limit", maxRowsPerSecond == null ? "rate limit lifted"
                        : "rate limited to " + maxRowsPerSecond + " rows/s",
                (conn, migration) -> state.setMaxRowsPerSecond(conn, migration, maxRowsPerSecond));
    }

    private Outcome control(Connection c, List<Migration> files, String verb, String what, Control control)
            throws SQLException {
        CurrentMigration cur;
        try {
            cur = migrationFiles.requireInFlight(c, files, "control");
        } catch (NothingToDo e) {
            throw refused("there is no backfill to " + verb + ": every migration is complete");
        }
        String none = nothingLeft(cur);
        if (none != null) throw refused("there is no backfill to " + verb + ": " + cur.name() + " " + none);
        control.apply(c, cur.name());
        state.history(c, cur.name(), cur.phase().text, "backfill " + what, null);
        // Set ahead of a backfill (one that was interrupted, or is still to start), it holds for the next one.
        boolean running = MigrationLock.backfillHolds(holders.of(c, lockKey));
        return new Outcome(cur.name(), cur.phase(), true, "backfill of " + cur.name() + " " + what + (running ? ""
                : "; no backfill is running now, so this applies to the next `tandem backfill`"));
    }

    /** Why the migration in flight has no backfill left to steer, or null while it has one (running or to come). */
    private static String nothingLeft(CurrentMigration cur) {
        return switch (cur.phase()) {
            case BACKFILLED -> "is backfilled (its backfill is done); next: roll out the new version, then contract";
            case CONTRACTING -> "is being contracted (its backfill is done)";
            case ROLLING_BACK -> "is being rolled back";
            case EXPANDED -> {
                String plan = cur.state().planJson();
                yield plan != null && StateStore.planFromJson(plan).backfill().isEmpty()
                        ? "has no rows to backfill; next: roll out the new version, then contract" : null;
            }
            default -> null;
        };
    }
}
