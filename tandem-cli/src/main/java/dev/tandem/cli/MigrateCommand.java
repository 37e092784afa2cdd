package dev.tandem.cli;

import dev.tandem.Outcome;
import dev.tandem.Tandem;
import dev.tandem.state.Phase;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

import java.util.List;

@Command(name = "migrate", description = {
        "Run every phase of every pending migration.",
        "%nExpand, backfill and contract, one migration after the other: for fresh databases, tests and CI, where"
                + " no previous application version is running. For a rolling deployment, run expand, backfill and"
                + " contract separately instead. An interrupted command (a migration left expanding, contracting or"
                + " rolling back) is finished first."})
final class MigrateCommand extends LifecycleCommand {

    @Mixin
    BackfillPacing pacing;

    @Mixin
    NewVersionLogins newVersionLogins;

    @Override
    Tandem.Config configure(Tandem.Config config) {
        return newVersionLogins.apply(pacing.apply(config, spec));
    }

    @Override
    protected List<Outcome> execute(Tandem tandem) {
        List<Outcome> outcomes = tandem.migrate();
        return outcomes.isEmpty()
                ? List.of(new Outcome(null, Phase.COMPLETE, false, "nothing to migrate: every migration is complete"))
                : outcomes;
    }
}
