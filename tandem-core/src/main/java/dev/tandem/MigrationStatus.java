package dev.tandem;

import com.fasterxml.jackson.annotation.JsonIgnore;
import dev.tandem.engine.Plan;
import dev.tandem.state.BackfillState;
import dev.tandem.state.Phase;
import dev.tandem.state.StateStore;

import java.time.Instant;
import java.util.List;

/**
 * One migration as {@code status} reports it.
 *
 * @param versionSchema the schema the application version of this name uses (its views), or null before expand
 * @param fileChanged   true when the file no longer matches the checksum recorded at expand
 * @param fileMissing   true when the database knows the migration but the directory has no file for it
 * @param needsBackfill whether its plan has existing rows to fill
 * @param backfillTasks what its plan backfills: each table's key columns and their types, which say what the
 *                      positions in {@code backfill} are
 * @param activity      what its backfill is doing now (running, paused, throttled, done, failed, interrupted) and
 *                      why, or null
 * @param newVersionLogins logins whose sessions are this version's without saying so (set at its expand; README,
 *                         "MariaDB"); empty when none
 */
public record MigrationStatus(String name, String file, Phase phase, String versionSchema, boolean fileChanged,
                              boolean fileMissing, boolean needsBackfill, List<BackfillState> backfill,
                              @JsonIgnore List<Plan.BackfillTask> backfillTasks,
                              StateStore.BackfillActivity activity, Instant startedAt,
                              Instant expandedAt, Instant backfilledAt, Instant completedAt, Instant rolledBackAt,
                              List<String> newVersionLogins) {

    /**
     * Whether this version can serve: its version schema exists, which Tandem creates only once its data is complete
     * (at the end of the backfill, or of expand when there is nothing to backfill).
     */
    @com.fasterxml.jackson.annotation.JsonProperty("ready")
    public boolean ready() {
        return versionSchema != null;
    }

    /** {@code ready}, or {@code not ready: backfill 43%} and the like, for people. */
    public String readiness() {
        if (ready()) return "ready";
        return switch (phase) {
            case EXPANDING -> "not ready: expand is not finished";
            case EXPANDED -> "not ready: backfill not started";
            case BACKFILLING -> "not ready: backfill " + (rowsTotal() == 0 ? "started"
                    : Math.min(99, 100 * rowsDone() / rowsTotal()) + "%");
            default -> "not ready";
        };
    }

    public long rowsDone() {
        return backfill.stream().mapToLong(BackfillState::rowsDone).sum();
    }

    public long rowsTotal() {
        return backfill.stream().mapToLong(b -> Math.max(b.rowsDone(), b.rowsTotal())).sum();
    }
}
