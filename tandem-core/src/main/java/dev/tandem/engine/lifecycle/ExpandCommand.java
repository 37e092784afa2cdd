package dev.tandem.engine.lifecycle;

import dev.tandem.Outcome;
import dev.tandem.dialect.Dialect;
import dev.tandem.engine.Executor;
import dev.tandem.engine.Plan;
import dev.tandem.migration.Migration;
import dev.tandem.state.Phase;
import dev.tandem.state.StateStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.sql.Connection;
import java.sql.SQLException;
import java.util.List;

import static dev.tandem.engine.lifecycle.Refusals.refused;

/** Expands the next pending migration, or finishes an interrupted expand from its checkpoint (docs/PHASES.md). */
public final class ExpandCommand {
    private static final Logger log = LoggerFactory.getLogger(ExpandCommand.class);

    private final StateStore state;
    private final MigrationFiles migrationFiles;
    private final FreshPlan freshPlan;
    private final Executor executor;
    private final VersionPublisher publisher;
    private final String schema;

    public ExpandCommand(Dialect dialect, StateStore state, MigrationFiles migrationFiles, FreshPlan freshPlan, Executor executor,
                         String schema) {
        this.state = state;
        this.migrationFiles = migrationFiles;
        this.freshPlan = freshPlan;
        this.executor = executor;
        this.publisher = new VersionPublisher(dialect, state, executor);
        this.schema = schema;
    }

    /** Runs on the connection that holds the migration lock. */
    public Outcome run(Connection c, List<Migration> files) throws SQLException {
        CurrentMigration cur = migrationFiles.current(c, files);
        if (cur == null) return new Outcome(null, Phase.COMPLETE, false, "nothing to expand: every migration is complete");
        Outcome already = alreadyExpanded(cur, files);
        if (already != null) return already;
        String name = cur.name();
        Plan plan;
        int done = 0;
        if (cur.phase() == Phase.EXPANDING) {
            plan = StateStore.planFromJson(cur.state().planJson());
            done = cur.state().stepsDone();
            log.info("resuming expand of {} at step {}/{}", name, done + 1, plan.expand().size());
            // A backfill's plan has sync triggers; the dialect counts those expand already made too.
            freshPlan.serverGate().require(c, plan, Dialect.Command.EXPAND, List.of(), !plan.backfill().isEmpty(), true,
                    "expand of " + name + " cannot go on from step " + (done + 1) + " on this server as this login;"
                            + " nothing more was changed.");
        } else {
            plan = freshPlan.forExpand(c, cur.migration(), files);
            state.begin(c, name, cur.migration().checksum(), cur.migration().file(), plan);
            state.history(c, name, Phase.EXPANDING.text, "expand started", cur.migration().file());
        }
        int steps = plan.expand().size();
        executor.run(c, name, Phase.EXPANDING, plan.expand(), done, i -> "Expand of " + name + " stopped at step "
                + (i + 1) + "/" + steps + "; the steps before it are done and the previous version keeps working."
                + " Fix the cause and run `tandem expand` to go on from this step, or `tandem rollback` to undo"
                + " what expand did.");
        String access = plan.backfill().isEmpty() ? publisher.publish(c, name, plan, Phase.EXPANDING) : "";
        state.setPhase(c, name, Phase.EXPANDED);
        state.history(c, name, Phase.EXPANDED.text, "expand done", null);
        Outcome outcome = expanded(name, plan);
        return new Outcome(outcome.migration(), outcome.phase(), outcome.changed(), outcome.message() + access);
    }

    /**
     * Null when the current migration is to be expanded (pending, rolled back, or expanding); the outcome when it
     * already is and it is the last file. Refused when another phase must finish first.
     */
    private static Outcome alreadyExpanded(CurrentMigration cur, List<Migration> files) {
        String name = cur.name();
        Phase phase = cur.phase();
        switch (phase) {
            case EXPANDED, BACKFILLING, BACKFILLED -> {
                Migration next = MigrationFiles.nextAfter(files, cur.migration());
                if (next != null) {
                    throw refused("migration " + name + " is " + phase + " and not yet contracted; run `tandem contract`"
                            + " (or `tandem rollback`) before expanding " + next.name() + ": only one migration is in flight at a time");
                }
                return new Outcome(name, phase, false, name + " is already expanded");
            }
            case CONTRACTING -> throw refused("migration " + name + " is being contracted; run `tandem contract` to finish it");
            case ROLLING_BACK -> throw refused("migration " + name + " is being rolled back; run `tandem rollback` to finish it");
            default -> {
                return null;
            }
        }
    }

    private Outcome expanded(String name, Plan plan) {
        String irreversible = plan.irreversible().isEmpty() ? "" : ". Note: "
                + String.join("; ", plan.irreversible().stream().map(Plan.Irreversible::reason).toList());
        String previous = plan.previousVersionSchema() == null ? schema : plan.previousVersionSchema();
        return new Outcome(name, Phase.EXPANDED, true, "expanded " + name + (plan.publishedAfterBackfill()
                ? ": the new version is not ready yet; `tandem backfill` fills the existing rows and then creates its"
                + " schema " + plan.versionSchema() + ", so that it never reads an incomplete row. The previous version keeps using "
                + previous
                : ": the new version uses schema " + plan.versionSchema() + "; the previous version keeps using " + previous)
                + irreversible);
    }
}
