package dev.tandem.engine.lifecycle;

import dev.tandem.engine.Executor;
import dev.tandem.engine.Plan;
import dev.tandem.state.Phase;
import dev.tandem.state.StateStore;

import java.sql.Connection;
import java.sql.SQLException;

/**
 * Makes the new version ready once its data is complete: at the end of expand when nothing needs backfilling,
 * else at the end of the backfill (docs/DESIGN.md, Readiness).
 */
final class VersionPublisher {
    private final dev.tandem.dialect.Dialect dialect;
    private final StateStore state;
    private final Executor executor;

    VersionPublisher(dev.tandem.dialect.Dialect dialect, StateStore state, Executor executor) {
        this.dialect = dialect;
        this.state = state;
        this.executor = executor;
    }

    /**
     * Creates the new version's schema, views and grants: the version is ready. Safe to repeat (a run stopped after it
     * and before the phase was recorded does it again); it writes no step checkpoint.
     *
     * @return what the operator is to be told about the logins that cannot use the new schema yet ({@link
     * dev.tandem.dialect.Dialect#versionSchemaAccess}), as a sentence to append to the outcome; empty when nothing
     */
    String publish(Connection c, String name, Plan plan, Phase phase) throws SQLException {
        if (plan.publish().isEmpty()) return "";
        executor.run(c, name, phase, plan.publish(), 0, plan.publish().size(), i -> "Creating the new version's schema "
                + plan.versionSchema() + " failed; nothing of it was created. Fix the cause and run `tandem "
                + (phase == Phase.EXPANDING ? "expand" : "backfill") + "` again, or `tandem rollback`.");
        state.history(c, name, phase.text, "new version ready", "created schema " + plan.versionSchema());
        java.util.List<String> access = dialect.versionSchemaAccess(c, plan.schema(), plan.versionSchema());
        return access.isEmpty() ? "" : ". WARNING: " + String.join("; ", access);
    }
}
