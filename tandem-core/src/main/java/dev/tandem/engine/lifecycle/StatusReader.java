package dev.tandem.engine.lifecycle;

import dev.tandem.MigrationStatus;
import dev.tandem.Status;
import dev.tandem.dialect.Dialect;
import dev.tandem.engine.LockHolders;
import dev.tandem.engine.MigrationLock;
import dev.tandem.engine.Plan;
import dev.tandem.migration.Migration;
import dev.tandem.state.MigrationState;
import dev.tandem.state.Phase;
import dev.tandem.state.StateStore;

import java.sql.Connection;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** Every migration, from the files and the database, with its phase and backfill progress; reads only. */
public final class StatusReader {
    private final Dialect dialect;
    private final StateStore state;
    private final VersionGuard versionGuard;
    private final String schema;
    private final String lockKey;

    /** @param lockKey the migration lock's name ({@link MigrationSession#lockKey}): its holder is a running command */
    public StatusReader(Dialect dialect, StateStore state, VersionGuard versionGuard, String schema, String lockKey) {
        this.lockKey = lockKey;
        this.dialect = dialect;
        this.state = state;
        this.versionGuard = versionGuard;
        this.schema = schema;
    }

    /** The files in their order, then migrations the database knows whose file is gone; with the live instances. */
    public Status read(Connection c, List<Migration> files) throws SQLException {
        Map<String, MigrationState> states = state.all(c);
        // A Tandem command is running on this schema exactly while a session holds the migration lock (it dies with
        // the session): not a heartbeat's guess, which reads "running" for a while after a kill -9.
        List<Dialect.LockHolder> holders = new LockHolders(dialect, state).of(c, lockKey);
        String running = holders.isEmpty() ? null : MigrationLock.describe(holders);
        List<MigrationStatus> result = new ArrayList<>();
        for (Migration m : files) {
            MigrationState s = states.remove(m.name());
            if (s == null) {
                result.add(new MigrationStatus(m.name(), m.file(), Phase.PENDING, null, false, false, false, List.of(),
                        List.of(), null, null, null, null, null, null, List.of()));
            } else {
                result.add(status(c, s, m, running != null));
            }
        }
        for (MigrationState s : states.values()) result.add(status(c, s, null, running != null));
        if (running != null) {
            // Why it may seem to stand still (a step held back by a long transaction, waiting for its lock): the
            // history's latest line of the migration in flight.
            for (MigrationStatus m : result) {
                if (!m.phase().inFlight()) continue;
                String last = state.lastEvent(c, m.name()).orElse(null);
                if (last != null) running += "; " + m.name() + " last recorded: " + last;
                break;
            }
        }
        return new Status(schema, result, versionGuard.liveInstances(c), state.unattributedSessions(c),
                state.unseenSessions(c).stream().toList(), running);
    }

    private MigrationStatus status(Connection c, MigrationState s, Migration file, boolean commandRunning) throws SQLException {
        boolean changed = file != null && !file.checksum().equals(s.checksum());
        Plan plan = s.planJson() == null ? null : StateStore.planFromJson(s.planJson());
        List<Plan.BackfillTask> tasks = plan == null ? List.of() : plan.backfill();
        boolean needsBackfill = !tasks.isEmpty();
        return new MigrationStatus(s.name(), file != null ? file.file() : s.file(), s.phase(),
                // A version's schema goes when the next migration is contracted: then nothing can select it.
                s.versionSchema() != null && s.phase() != Phase.ROLLED_BACK && dialect.schemaExists(c, s.versionSchema())
                        ? s.versionSchema() : null, changed, file == null, needsBackfill,
                state.backfills(c, s.name()), tasks,
                state.activity(c, s.name()).map(a -> commandRunning ? a : a.withoutProcess()).orElse(null), s.startedAt(),
                s.expandedAt(), s.backfilledAt(), s.completedAt(), s.rolledBackAt(),
                plan == null ? List.of() : plan.newVersionLogins());
    }
}
