package dev.tandem.engine.lifecycle;

import dev.tandem.Outcome;
import dev.tandem.TandemException;
import dev.tandem.TandemListener;
import dev.tandem.dialect.Dialect;
import dev.tandem.engine.Backfiller;
import dev.tandem.engine.Executor;
import dev.tandem.engine.Plan;
import dev.tandem.migration.Migration;
import dev.tandem.state.Phase;
import dev.tandem.state.StateStore;

import java.sql.Connection;
import java.sql.SQLException;
import java.util.List;

import static dev.tandem.engine.lifecycle.Refusals.refused;

/**
 * Fills new and shadow columns of existing rows for the migration in flight, then makes the new version ready
 * (docs/PHASES.md).
 */
public final class BackfillCommand {
    private final Dialect dialect;
    private final StateStore state;
    private final MigrationFiles migrationFiles;
    private final MigrationSession session;
    private final Database database;
    private final Backfiller.Settings settings;
    private final Integer maxRowsPerSecond;
    private final TandemListener listener;
    private final VersionPublisher publisher;
    private final ServerGate serverGate;

    /** @param maxRowsPerSecond the rate limit set when the backfill starts; null: none */
    public BackfillCommand(Dialect dialect, StateStore state, MigrationFiles migrationFiles, MigrationSession session,
                           Database database, Executor executor, Backfiller.Settings settings, Integer maxRowsPerSecond,
                           TandemListener listener, ServerGate serverGate) {
        this.serverGate = serverGate;
        this.dialect = dialect;
        this.state = state;
        this.migrationFiles = migrationFiles;
        this.session = session;
        this.database = database;
        this.settings = settings;
        this.maxRowsPerSecond = maxRowsPerSecond;
        this.listener = listener;
        this.publisher = new VersionPublisher(dialect, state, executor);
    }

    /**
     * Runs on the connection that holds the migration lock.
     *
     * @throws NothingToDo when every migration is complete
     */
    public Outcome run(Connection c, List<Migration> files) throws SQLException {
        CurrentMigration cur = migrationFiles.requireInFlight(c, files, "backfill");
        String name = cur.name();
        switch (cur.phase()) {
            case EXPANDED, BACKFILLING -> {
            }
            case BACKFILLED -> {
                if (!settings.byKey()) return new Outcome(name, Phase.BACKFILLED, false, name + " is already backfilled");
            }
            case EXPANDING -> throw refused(name + " is not fully expanded; run `tandem expand` first");
            default -> throw refused(name + " is " + cur.phase() + "; there is nothing to backfill");
        }
        Plan plan = StateStore.planFromJson(cur.state().planJson());
        requirePublishable(c, name, plan, cur.phase(), "refused before changing anything (" + name + " stays "
                + cur.phase() + ")");
        begin(c, name, cur.phase());
        if (maxRowsPerSecond != null) state.setMaxRowsPerSecond(c, name, maxRowsPerSecond);
        String access;
        // A backfill may outlive its connection (a server restart): it reconnects, and so must the lock.
        try (LockKeeper keeper = session.keeper(c)) {
            fill(keeper, name, plan);
            Connection held = keeper.connection();
            // Again: a backfill may run for hours, and a server restart may have put a setting back.
            requirePublishable(held, name, plan, Phase.BACKFILLING, "has filled every row but cannot create the new"
                    + " version's schema " + plan.versionSchema() + "; nothing of it was created. Fix it and run `tandem"
                    + " backfill` again: it goes on from its checkpoint and creates the schema.");
            access = publisher.publish(held, name, plan, Phase.BACKFILLING);
            state.setActivity(held, name, "done", null);
            state.setPhase(held, name, Phase.BACKFILLED);
            state.history(held, name, Phase.BACKFILLED.text, "backfill done", null);
        }
        return new Outcome(name, Phase.BACKFILLED, true, (plan.backfill().isEmpty() ? name + " has no rows to backfill"
                : "backfilled " + name) + access);
    }

    /** Refused, with {@code refusal} after the migration's name, when the server cannot take the publish step. */
    private void requirePublishable(Connection c, String name, Plan plan, Phase phase, String refusal) throws SQLException {
        if (plan.publish().isEmpty()) return;
        serverGate.require(c, plan, dev.tandem.dialect.Dialect.Command.PUBLISH, false, "backfill of " + name + " "
                + refusal + ": this server or login lacks what creating the new version's schema needs.");
    }

    private void begin(Connection c, String name, Phase phase) throws SQLException {
        if (phase == Phase.BACKFILLED) {
            // Rows written with triggers off since (a replica-role load, a subscriber) were never filled: walk
            // every table again, by key, filling only rows not flagged done.
            state.clearBackfills(c, name);
            state.setPhase(c, name, Phase.BACKFILLING);
            state.history(c, name, Phase.BACKFILLING.text, "backfill started again by key", "--by-key after backfilled");
        } else if (phase == Phase.EXPANDED) {
            state.setPhase(c, name, Phase.BACKFILLING);
            state.history(c, name, Phase.BACKFILLING.text, "backfill started", null);
        }
    }

    /** Runs the backfiller; when it fails, the failure is recorded as the backfill's activity for {@code status}. */
    private void fill(LockKeeper keeper, String name, Plan plan) throws SQLException {
        try {
            backfiller(keeper).run(plan);
        } catch (RuntimeException e) {
            try {
                state.setActivity(autocommit(keeper.connection()), name, "failed", e.getMessage());
            } catch (SQLException | RuntimeException ignored) {
                // Report the backfill's own error, not this one.
            }
            throw e;
        }
    }

    private Backfiller backfiller(LockKeeper keeper) {
        return new Backfiller(dialect, state, settings, listener, () -> {
            try {
                return database.connect();
            } catch (SQLException e) {
                throw new TandemException(TandemException.Kind.DATABASE, e.getMessage(), e);
            }
        }, keeper::connection);
    }

    private static Connection autocommit(Connection c) throws SQLException {
        if (!c.getAutoCommit()) {
            c.rollback();
            c.setAutoCommit(true);
        }
        return c;
    }
}
