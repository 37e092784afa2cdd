package dev.tandem.cli;

import dev.tandem.Outcome;
import dev.tandem.Tandem;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.util.List;

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

    @Override
    protected List<Outcome> execute(Tandem tandem) {
        return List.of(tandem.rollback(leaveRawSql, force));
    }
}
