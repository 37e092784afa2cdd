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
 */
public record MigrationStatus(String name, String file, Phase phase, String versionSchema, boolean fileChanged,
                              boolean fileMissing, boolean needsBackfill, List<BackfillState> backfill,
                              @JsonIgnore List<Plan.BackfillTask> backfillTasks,
                              StateStore.BackfillActivity activity, Instant startedAt,
                              Instant expandedAt, Instant backfilledAt, Instant completedAt, Instant rolledBackAt) {

    public long rowsDone() {
        return backfill.stream().mapToLong(BackfillState::rowsDone).sum();
    }

    public long rowsTotal() {
        return backfill.stream().mapToLong(b -> Math.max(b.rowsDone(), b.rowsTotal())).sum();
    }
}
