package dev.tandem.engine.lifecycle;

import dev.tandem.IgnoredSessions;
import dev.tandem.Outcome;
import dev.tandem.dialect.Dialect;
import dev.tandem.engine.ContractPreflight;
import dev.tandem.engine.Executor;
import dev.tandem.engine.Plan;
import dev.tandem.engine.Step;
import dev.tandem.state.MigrationState;
import dev.tandem.state.Phase;
import dev.tandem.state.StateStore;

import java.sql.Connection;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;

import static dev.tandem.engine.lifecycle.Refusals.refused;

/**
 * Undoes the expand of the migration in flight from the plan stored at its expand, so it works even after the
 * migration's file was edited or removed; the previous version never notices (docs/PHASES.md).
 */
public final class RollbackCommand {
    private final Dialect dialect;
    private final StateStore state;
    private final MigrationFiles migrationFiles;
    private final Executor executor;
    private final VersionGuard versionGuard;
    private final ServerGate serverGate;

    public RollbackCommand(Dialect dialect, StateStore state, MigrationFiles migrationFiles, Executor executor,
                           VersionGuard versionGuard, ServerGate serverGate) {
        this.serverGate = serverGate;
        this.dialect = dialect;
        this.state = state;
        this.migrationFiles = migrationFiles;
        this.executor = executor;
        this.versionGuard = versionGuard;
    }

    /**
     * Runs on the connection that holds the migration lock.
     *
     * @param leaveRawSql undo everything but the raw SQL that has no {@code down}, whose effects stay
     * @param force       roll back although instances of the new version are alive
     * @param ignored     unattributed sessions to leave out of the guard (recorded in the history)
     */
    public Outcome run(Connection c, boolean leaveRawSql, boolean force, IgnoredSessions ignored) throws SQLException {
        Map<String, MigrationState> states = state.all(c);
        MigrationState inFlight = states.values().stream().filter(s -> s.phase().inFlight()).findFirst().orElse(null);
        if (inFlight == null) return alreadyRolledBack(c, states);
        String name = inFlight.name();
        Phase phase = inFlight.phase();
        if (phase == Phase.CONTRACTING) {
            throw refused(name + " is being contracted and the previous version's shape is already gone;"
                    + " run `tandem contract` to finish it, then write a new migration that reverses it");
        }
        Plan plan = StateStore.planFromJson(inFlight.planJson());
        // Raw SQL without down that expand has already run: undoing the rest would claim a state that is not there.
        List<String> undoable = plan.irreversible().stream()
                .filter(x -> phase != Phase.EXPANDING || x.expandStep() < inFlight.stepsDone())
                .map(Plan.Irreversible::reason).toList();
        int done = 0;
        if (phase == Phase.ROLLING_BACK) {
            done = inFlight.stepsDone();
            serverGate.require(c, plan, Dialect.Command.ROLLBACK, false, "rollback of " + name + " cannot go on from step "
                    + (done + 1) + " on this server as this login; nothing more was changed.");
        } else {
            start(c, name, phase, plan, undoable, leaveRawSql, force, ignored);
        }
        List<Step> rollbackSteps = leaveRawSql ? plan.rollback().stream().map(s -> s.effect() == Step.Effect.UNKNOWN
                ? s.leftAsItIs("raw SQL down left undone (--leave-raw-sql)") : s).toList() : plan.rollback();
        runSteps(c, name, rollbackSteps, done);
        state.setPhase(c, name, Phase.ROLLED_BACK);
        state.history(c, name, Phase.ROLLED_BACK.text, "rollback done", null);
        List<String> left = new ArrayList<>(undoable);
        if (leaveRawSql) {
            rollbackSteps.stream().filter(s -> s.sql().equals("SELECT 1") && s.description().contains("--leave-raw-sql"))
                    .forEach(s -> left.add(s.description()));
        }
        return new Outcome(name, Phase.ROLLED_BACK, true, "rolled back " + name + (left.isEmpty()
                ? ": the schema is as before its expand"
                : ": everything expand did is undone except raw SQL, whose effects stay: " + String.join("; ", left)));
    }

    /**
     * Nothing in flight. Run again after it finished (say, killed after its last statement): done is done, as for
     * expand. Refused when the last migration was contracted since, or none was ever expanded.
     */
    private Outcome alreadyRolledBack(Connection c, Map<String, MigrationState> states) throws SQLException {
        MigrationState rolledBack = states.values().stream().filter(s -> s.phase() == Phase.ROLLED_BACK && s.rolledBackAt() != null)
                .max(Comparator.comparing(MigrationState::rolledBackAt)).orElse(null);
        MigrationState last = migrationFiles.lastComplete(c, migrationFiles.read());
        if (rolledBack != null && (last == null || rolledBack.rolledBackAt().isAfter(last.completedAt()))) {
            return new Outcome(rolledBack.name(), Phase.ROLLED_BACK, false, rolledBack.name() + " is already rolled back");
        }
        if (last != null) {
            throw refused("nothing to roll back: " + last.name() + " was contracted at " + last.completedAt()
                    + ", which dropped the previous version's columns, triggers and views; write a new migration"
                    + " that reverses it instead");
        }
        throw refused("nothing to roll back: no migration is expanded");
    }

    /** Checks, changing nothing, that rollback can run, then records that it started. */
    private void start(Connection c, String name, Phase phase, Plan plan, List<String> undoable, boolean leaveRawSql,
                       boolean force, IgnoredSessions ignored) throws SQLException {
        if (!undoable.isEmpty() && !leaveRawSql) {
            throw refused("cannot roll back " + name + ": " + String.join("; ", undoable) + ". Nothing was"
                    + " changed. Either go forward (`tandem backfill`, then `tandem contract`), or undo that SQL"
                    + " by hand and run `tandem rollback --leave-raw-sql`, which undoes everything else.");
        }
        // Before the guard (which needs PROCESS), so that everything missing is said at once: a rollback that would
        // fail half-way (dropping the version database, then failing to drop a trigger) is refused whole.
        serverGate.require(c, plan, Dialect.Command.ROLLBACK, !force, "rollback of " + name + " refused before changing"
                + " anything (" + name + " stays " + phase + "): this server or login lacks what rollback needs.");
        versionGuard.guardNewVersion(c, name, phase, force, ignored);
        List<ContractPreflight.Problem> yours = new ContractPreflight(dialect).versionSchema(c, plan.versionSchema());
        if (!yours.isEmpty()) {
            throw refused("rollback of " + name + " refused before changing anything (" + name + " stays " + phase
                    + "):\n  - " + String.join("\n  - ", yours.stream().map(Object::toString).toList()));
        }
        state.setPhase(c, name, Phase.ROLLING_BACK);
        state.history(c, name, Phase.ROLLING_BACK.text, "rollback started", "from " + phase);
    }

    private void runSteps(Connection c, String name, List<Step> rollbackSteps, int done) throws SQLException {
        int steps = rollbackSteps.size();
        executor.run(c, name, Phase.ROLLING_BACK, rollbackSteps, done, i -> "Rollback of " + name
                + " stopped at step " + (i + 1) + "/" + steps + "; the steps before it are done. Fix the cause and run"
                + " `tandem rollback` again to finish it" + (rollbackSteps.get(i).effect() == Step.Effect.UNKNOWN
                ? ", or run `tandem rollback --leave-raw-sql` to leave this raw SQL's effects as they are" : "") + ".");
    }
}
