package dev.tandem.cli;

import dev.tandem.Outcome;
import dev.tandem.Tandem;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.time.Duration;
import java.util.List;

@Command(name = "contract", description = {
        "Complete the migration in flight, once the previous version is gone.",
        "%nDrops what only the previous version needed, renames shadow columns into place, validates constraints"
                + " and drops the previous version schema. There is no rollback after it. Refused (exit code 3) before"
                + " the backfill is done, and while any application instance of another version is connected or"
                + " heart-beating (see `tandem status`): --wait waits for them to go, --force contracts anyway."})
final class ContractCommand extends LifecycleCommand {
    @Option(names = "--wait", paramLabel = "DURATION", defaultValue = "0s", converter = DurationConverter.class,
            description = "Wait up to this long for instances of other versions to go (default: no waiting).")
    Duration waitForOthers;

    @Option(names = "--force", description = "Contract even though instances of other versions are alive (they will"
            + " break); recorded in the history with their names.")
    boolean force;

    @Override
    protected List<Outcome> execute(Tandem tandem) {
        return List.of(tandem.contract(waitForOthers, force));
    }
}
