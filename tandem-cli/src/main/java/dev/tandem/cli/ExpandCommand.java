package dev.tandem.cli;

import dev.tandem.Outcome;
import dev.tandem.Tandem;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.util.ArrayList;
import java.util.List;

@Command(name = "expand", description = {
        "Expand the next pending migration, so that both versions can run.",
        "%nRuns additive, lock-safe DDL and installs the sync triggers; the previous version keeps working. The new"
                + " version's schema is created when its data is complete: at once when there is nothing to backfill,"
                + " else when `tandem backfill` finishes (the new version is not ready until then; `tandem status` says"
                + " which). With --wait-ready, expand runs the backfill too, for deployment pipelines. After a crash, run"
                + " it again: it resumes at the step where it stopped."})
final class ExpandCommand extends LifecycleCommand {

    @Option(names = "--wait-ready", description = "Run the backfill right after expand, and return once the new version"
            + " is ready (its schema exists): the order is expand, backfill, roll the new version out, contract.")
    boolean waitReady;

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
        List<Outcome> outcomes = new ArrayList<>();
        Outcome expanded = tandem.expand();
        outcomes.add(expanded);
        if (waitReady && expanded.migration() != null) outcomes.add(tandem.backfill());
        return outcomes;
    }
}
