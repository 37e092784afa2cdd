package dev.tandem.cli;

import dev.tandem.IgnoredSessions;
import dev.tandem.Outcome;
import dev.tandem.Tandem;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;

@Command(name = "rollback", description = {
        "Undo the expand of the migration in flight.",
        "%nThe previous application version never notices. Rollback runs the plan stored at expand, so it works even"
                + " after the migration's file was edited. Refused (exit code 3) once contract has dropped the previous"
                + " version's shape (write a new migration that reverses it instead), and when expand ran raw SQL that"
                + " has no `down` (see --leave-raw-sql)."})
final class RollbackCommand extends LifecycleCommand {
    @Option(names = "--leave-raw-sql", description = "Undo everything expand did except raw `sql` operations without"
            + " `down`, whose effects stay (undo them by hand first).")
    boolean leaveRawSql;

    @Option(names = "--force", description = "Roll back although instances of the new version are still connected"
            + " (their version schema goes); their names are written to the history.")
    boolean force;

    @Option(names = "--ignore-session", paramLabel = "ID", description = "Leave this session with no default database"
            + " (its connection id, as rollback lists it) out of the check; repeatable; recorded in the history.")
    List<Long> ignoreSessions = new ArrayList<>();

    @Option(names = "--ignore-unattributed", description = "Leave every session with no default database out of the"
            + " check; recorded in the history.")
    boolean ignoreUnattributed;

    @Override
    protected List<Outcome> execute(Tandem tandem) {
        return List.of(tandem.rollback(leaveRawSql, force, new IgnoredSessions(Set.copyOf(ignoreSessions), ignoreUnattributed)));
    }
}
