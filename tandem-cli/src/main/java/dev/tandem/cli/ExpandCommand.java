package dev.tandem.cli;

import dev.tandem.Outcome;
import dev.tandem.Tandem;
import picocli.CommandLine.Command;

import java.util.List;

@Command(name = "expand", description = {
        "Expand the next pending migration, so that both versions can run.",
        "%nRuns additive, lock-safe DDL, installs the sync triggers and creates the new version schema. Afterwards"
                + " the previous and the new application version run side by side. After a crash, run it again:"
                + " it resumes at the step where it stopped."})
final class ExpandCommand extends LifecycleCommand {
    @Override
    protected List<Outcome> execute(Tandem tandem) {
        return List.of(tandem.expand());
    }
}
