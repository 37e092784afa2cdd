package dev.tandem.engine.lifecycle;

import dev.tandem.IgnoredSessions;
import dev.tandem.Outcome;
import dev.tandem.dialect.Dialect;
import dev.tandem.engine.ContractPreflight;
import dev.tandem.engine.Executor;
import dev.tandem.engine.Plan;
import dev.tandem.migration.Migration;
import dev.tandem.state.Phase;
import dev.tandem.state.StateStore;

import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.util.List;

import static dev.tandem.engine.lifecycle.Refusals.refused;

/**
 * Finishes the migration in flight: the previous version's columns, triggers and views go. No way back after its
 * point of no return (docs/PHASES.md).
 */
public final class ContractCommand {
    private final Dialect dialect;
    private final StateStore state;
    private final MigrationFiles migrationFiles;
    private final Executor executor;
    private final VersionGuard versionGuard;
    private final String schema;
    private final ServerGate serverGate;

    public ContractCommand(Dialect dialect, StateStore state, MigrationFiles migrationFiles, Executor executor,
                           VersionGuard versionGuard, String schema, ServerGate serverGate) {
        this.serverGate = serverGate;
        this.dialect = dialect;
        this.state = state;
        this.migrationFiles = migrationFiles;
        this.executor = executor;
        this.versionGuard = versionGuard;
        this.schema = schema;
    }

    /**
     * Runs on the connection that holds the migration lock.
     *
     * @param waitForOthers how long to wait for instances of other versions to go
     * @param force         contract although instances of other versions are alive
     * @param ignored       unattributed sessions to leave out of the guard (recorded in the history)
     * @throws NothingToDo when every migration is complete
     */
    public Outcome run(Connection c, List<Migration> files, Duration waitForOthers, boolean force, IgnoredSessions ignored)
            throws SQLException {
        CurrentMigration cur = migrationFiles.requireInFlight(c, files, "contract");
        String name = cur.name();
        Plan plan = StateStore.planFromJson(cur.state().planJson());
        int done = stepsDone(c, cur, plan);
        Phase before = cur.phase();
        int enterAt = done;
        // Before the guard (which needs PROCESS) so that everything missing is said at once; on resume, the guard is past.
        serverGate.require(c, plan, Dialect.Command.CONTRACT, before != Phase.CONTRACTING && !force, before == Phase.CONTRACTING
                ? "contract of " + name + " cannot go on from step " + (done + 1) + " on this server as this login;"
                + " nothing more was changed."
                : "contract of " + name + " refused before changing anything (" + name + " stays " + before
                + "): this server or login lacks what contract needs, and `tandem rollback` needs the same.");
        if (before != Phase.CONTRACTING) {
            preflight(c, name, before, plan);
            versionGuard.guardOtherVersions(c, name, waitForOthers, force, ignored);
            state.history(c, name, Phase.CONTRACTING.text, "contract started", null);
            // The migration is `contracting` only once the first step the previous version cannot survive commits.
            enterAt = plan.pointOfNoReturn();
        }
        runSteps(c, name, plan, before, done, enterAt);
        state.setPhase(c, name, Phase.COMPLETE);
        state.history(c, name, Phase.COMPLETE.text, "contract done", null);
        return new Outcome(name, Phase.COMPLETE, true, "contracted " + name + ": " + whereApplicationsGo(plan));
    }

    /**
     * Where applications of the new version read and write now, true to what this database's contract did: where it
     * renames every column and table into place the base tables have the new version's shape; where it cannot (MariaDB,
     * MySQL: {@link dev.tandem.dialect.Ddl#contractRenames}) they keep their physical names, which only the version's
     * views alias, so applications stay on the version schema.
     */
    private String whereApplicationsGo(Plan plan) {
        if (dialect.ddl().contractRenames()) {
            return "the schema now has only the new version's shape; applications use " + plan.versionSchema() + " (or "
                    + schema + " directly, where a changed column now comes last in the table's column order)";
        }
        return "the previous version's columns, triggers and views are gone; the tables of " + schema + " keep their"
                + " physical names (a changed or renamed column stays under the name Tandem gave it), which the views of "
                + plan.versionSchema() + " give the new version's names: applications keep using " + plan.versionSchema();
    }

    /** The contract steps already done; refused unless the migration is backfilled (or being contracted). */
    private int stepsDone(Connection c, CurrentMigration cur, Plan plan) throws SQLException {
        String name = cur.name();
        switch (cur.phase()) {
            case BACKFILLED -> {
                return 0;
            }
            case EXPANDED, BACKFILLING -> {
                if (!plan.backfill().isEmpty() || cur.phase() == Phase.BACKFILLING) {
                    long rows = state.backfills(c, name).stream().mapToLong(b -> b.rowsDone()).sum();
                    throw refused(name + " is not backfilled yet (" + rows + " rows done); run `tandem backfill` first."
                            + " Contract drops what the previous version needs, so it runs only on complete data.");
                }
                return 0;
            }
            case CONTRACTING -> {
                return cur.state().stepsDone();
            }
            case EXPANDING -> throw refused(name + " is not fully expanded; run `tandem expand` first");
            default -> throw refused(name + " is " + cur.phase());
        }
    }

    /** Runs the contract steps from {@code done}; a step failing before {@code enterAt} leaves the migration {@code before}. */
    private void runSteps(Connection c, String name, Plan plan, Phase before, int done, int enterAt) throws SQLException {
        int steps = plan.contract().size();
        executor.run(c, name, Phase.CONTRACTING, plan.contract(), done, enterAt, i -> i <= enterAt && before != Phase.CONTRACTING
                ? "Nothing either version relies on was changed: " + name + " is still " + before + " and `tandem"
                + " rollback` is still possible. Fix the cause and run `tandem contract` again."
                : "Contract of " + name + " is part done: steps 1-" + i + " of " + steps + " are done and the previous"
                + " version's shape is gone, so rollback is no longer possible; " + (steps - i) + " step(s) remain."
                + " Fix the cause and run `tandem contract` again to finish from step " + (i + 1) + ".");
    }

    /** Refuses, changing nothing, when anything would make contract fail after its point of no return. */
    private void preflight(Connection c, String name, Phase phase, Plan plan) throws SQLException {
        List<ContractPreflight.Problem> problems = new ContractPreflight(dialect).check(c, plan);
        if (problems.isEmpty()) return;
        state.history(c, name, phase.text, "contract refused", problems.size() + " problem(s)");
        throw refused("contract of " + name + " refused before changing anything (" + name + " stays " + phase
                + ", and `tandem rollback` is still possible):\n  - "
                + String.join("\n  - ", problems.stream().map(Object::toString).toList()));
    }
}
