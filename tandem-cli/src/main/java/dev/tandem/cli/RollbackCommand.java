package dev.tandem.cli;

import dev.tandem.Outcome;
import dev.tandem.Tandem;
import picocli.CommandLine.Command;

import java.util.List;

@Command(name = "rollback", description = {
        "Undo the expand of the migration in flight.",
        "%nThe previous application version never notices. Refused (exit code 3) once contract has started:"
                + " write a new migration that reverses it instead."})
final class RollbackCommand extends LifecycleCommand {
    @Override
    protected List<Outcome> execute(Tandem tandem) {
        return List.of(tandem.rollback());
    }
}
