package dev.tandem.engine.lifecycle;

import dev.tandem.migration.Migration;
import dev.tandem.migration.MigrationException;
import dev.tandem.migration.MigrationReader;
import dev.tandem.migration.SourceLocation;
import dev.tandem.state.MigrationState;
import dev.tandem.state.Phase;
import dev.tandem.state.StateStore;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static dev.tandem.engine.lifecycle.Refusals.refused;

/** The migration files of a directory against what the state tables recorded of them: which one is current. */
public final class MigrationFiles {
    private final Path directory;
    private final StateStore state;

    public MigrationFiles(Path directory, StateStore state) {
        this.directory = directory;
        this.state = state;
    }

    /** The files, in order; read anew each time, as a user may add one between two commands. */
    public List<Migration> read() {
        return MigrationReader.readDirectory(directory);
    }

    /**
     * The first migration that is not complete, after checking that no recorded migration's file changed since
     * its expand and that no new file was slipped in before one already applied.
     *
     * @return null when every migration is complete
     * @throws MigrationException listing every file that breaks those rules
     */
    public CurrentMigration current(Connection c, List<Migration> files) throws SQLException {
        Map<String, MigrationState> states = state.all(c);
        List<MigrationException.Problem> problems = new ArrayList<>();
        CurrentMigration current = null;
        for (Migration m : files) {
            MigrationState s = states.get(m.name());
            if (s != null && s.phase() != Phase.ROLLED_BACK && !s.checksum().equals(m.checksum())) {
                problems.add(new MigrationException.Problem(SourceLocation.unknown(m.file()),
                        "the file was changed after migration " + m.name() + " was expanded (it is " + s.phase()
                                + " now); " + (s.phase() == Phase.COMPLETE
                                ? "restore it as it was and write a new migration for further changes"
                                : "roll the migration back first (`tandem rollback` undoes what was planned at expand,"
                                + " whatever the file says now), then expand again; or restore the file as it was")));
            }
            Phase phase = s == null ? Phase.PENDING : s.phase();
            if (current == null && phase != Phase.COMPLETE) {
                current = new CurrentMigration(m, s);
            } else if (current != null && phase != Phase.PENDING && phase != Phase.ROLLED_BACK) {
                problems.add(new MigrationException.Problem(SourceLocation.unknown(current.migration().file()),
                        "migration " + current.name() + " is " + current.phase() + " but " + m.name()
                                + ", which comes after it, is already " + phase + "; new migrations must come after the last applied one"));
            }
        }
        for (MigrationState s : states.values()) {
            if (files.stream().noneMatch(m -> m.name().equals(s.name())) && s.phase().inFlight()) {
                problems.add(new MigrationException.Problem(SourceLocation.unknown(directory.toString()),
                        "migration " + s.name() + " is " + s.phase() + " in the database but its file is missing: restore"
                                + " the file, or run `tandem rollback`, which needs only what was recorded at expand"));
            }
        }
        if (!problems.isEmpty()) throw new MigrationException(problems);
        return current;
    }

    /**
     * The current migration, which a command that continues a migration needs expanded.
     *
     * @throws NothingToDo when every migration is complete
     * @throws dev.tandem.TandemException {@link dev.tandem.TandemException.Kind#REFUSED} when it is pending or rolled back
     */
    public CurrentMigration requireInFlight(Connection c, List<Migration> files, String command) throws SQLException {
        CurrentMigration cur = current(c, files);
        if (cur == null) throw new NothingToDo("nothing to " + command + ": every migration is complete");
        if (cur.phase() == Phase.PENDING || cur.phase() == Phase.ROLLED_BACK) {
            throw refused("nothing to " + command + ": " + cur.name() + " is " + cur.phase() + "; run `tandem expand` first");
        }
        return cur;
    }

    /** The last migration, in file order, that is complete; null when none is. */
    public MigrationState lastComplete(Connection c, List<Migration> files) throws SQLException {
        Map<String, MigrationState> states = state.all(c);
        MigrationState last = null;
        for (Migration m : files) {
            MigrationState s = states.get(m.name());
            if (s != null && s.phase() == Phase.COMPLETE) last = s;
        }
        return last;
    }

    /** The file after {@code m}; null when {@code m} is the last. */
    public static Migration nextAfter(List<Migration> files, Migration m) {
        int i = files.indexOf(m);
        return i + 1 < files.size() ? files.get(i + 1) : null;
    }
}
