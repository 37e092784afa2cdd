package dev.tandem.cli;

import dev.tandem.IgnoredSessions;
import dev.tandem.Outcome;
import dev.tandem.Tandem;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

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

    @Option(names = "--ignore-session", paramLabel = "ID", description = "Leave this session with no default database"
            + " (its connection id, as contract lists it) out of the check, e.g. a monitoring agent's; repeatable;"
            + " recorded in the history. Every other check still runs.")
    List<Long> ignoreSessions = new ArrayList<>();

    @Option(names = "--ignore-unattributed", description = "Leave every session with no default database out of the"
            + " check; recorded in the history. Every other check still runs.")
    boolean ignoreUnattributed;

    @Override
    protected List<Outcome> execute(Tandem tandem) {
        return List.of(tandem.contract(waitForOthers, force, new IgnoredSessions(Set.copyOf(ignoreSessions), ignoreUnattributed)));
    }
}
