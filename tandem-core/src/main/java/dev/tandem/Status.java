package dev.tandem;

import dev.tandem.state.Phase;
import dev.tandem.state.StateStore;

import java.util.List;
import java.util.Optional;

/**
 * Every migration known from the files or the database, in order, what to do next, and the application
 * instances that are alive, with the version each runs.
 *
 * @param unattributed sessions no version can be told from (on MariaDB, with no default database), which block
 *                     contract and rollback ({@link StateStore#unattributedSessions})
 * @param warnings     what this login cannot see, with what to grant (e.g. on MariaDB without PROCESS, other logins'
 *                     sessions); empty when it sees every session
 * @param runningCommand the Tandem command running on this schema now (the holder of its migration lock, e.g.
 *                       {@code tandem expand pid 4242 on db-admin-1 (from 10.0.0.7, since 12:58:01)}), or null
 */
public record Status(String schema, List<MigrationStatus> migrations, List<StateStore.Instance> instances,
                     List<StateStore.UnattributedSession> unattributed, List<String> warnings, String runningCommand) {

    /** Whether {@link #instances} can include other logins' applications: false when the server hides their sessions. */
    public boolean sessionsVisible() {
        return warnings.isEmpty();
    }

    /** What an operator (or a deployment script) should run next. */
    public enum Next {
        NOTHING(0, "nothing: every migration is complete"),
        EXPAND(10, "expand"),
        BACKFILL(11, "backfill: the new version is not ready, do not roll it out yet"),
        CONTRACT(12, "the new version is ready: roll it out node by node, then contract (once no instance of the previous"
                + " version runs)"),
        RESUME(13, "run the interrupted command again"),
        /**
         * A migration is expanding, backfilling, contracting or rolling back, and a Tandem command holds the schema's
         * migration lock (the backfill itself, or another command): running the next step now would only wait for it.
         */
        RUNNING(14, "a Tandem command is running on this schema: let it finish (or stop it, then run it again)"),
        /** Exit code 2, as the commands themselves would exit: a file changed or removed after its expand. */
        FIX_FILES(2, "restore the migration file changed or removed after its expand (or run `tandem rollback`,"
                + " which needs only what was recorded at expand); every other command refuses until then");

        /** The exit code of {@code tandem status --check}. */
        public final int exitCode;
        public final String text;

        Next(int exitCode, String text) {
            this.exitCode = exitCode;
            this.text = text;
        }
    }

    /** The migration in flight, or the next to expand; a rolled-back migration whose file is gone is history. */
    public Optional<MigrationStatus> current() {
        return migrations.stream().filter(m -> m.phase() != Phase.COMPLETE)
                .filter(m -> !m.fileMissing() || m.phase().inFlight()).findFirst();
    }

    public Next next() {
        boolean filesOff = migrations.stream().anyMatch(m -> (m.fileChanged() && m.phase() != Phase.ROLLED_BACK
                && m.phase() != Phase.PENDING) || (m.fileMissing() && m.phase().inFlight()));
        if (filesOff) return Next.FIX_FILES;
        return current().map(m -> switch (m.phase()) {
            case PENDING, ROLLED_BACK -> Next.EXPAND;
            // A backfill that holds the lock is running: a second one would wait for it (and exit 4), so "let it finish".
            case EXPANDED -> !m.needsBackfill() ? Next.CONTRACT : runningCommand != null ? Next.RUNNING : Next.BACKFILL;
            case BACKFILLING -> runningCommand != null ? Next.RUNNING : Next.BACKFILL;
            case BACKFILLED -> Next.CONTRACT;
            case EXPANDING, CONTRACTING, ROLLING_BACK -> runningCommand != null ? Next.RUNNING : Next.RESUME;
            case COMPLETE -> Next.NOTHING;
        }).orElse(Next.NOTHING);
    }
}
