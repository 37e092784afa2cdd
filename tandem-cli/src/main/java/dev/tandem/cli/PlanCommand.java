package dev.tandem.cli;

import dev.tandem.Tandem;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(name = "plan", description = {
        "Show the SQL of the next migration, with the lock each statement takes.",
        "%nFor the next pending migration (or the one in flight), phase by phase: every SQL statement, the lock it"
                + " takes and what it does to the table's data. Leaves the database as it was: raw `sql` operations are"
                + " run in a transaction that is always rolled back (each may wait or run 2 s at most), so that the plan"
                + " sees what they create and reports the locks they took."})
final class PlanCommand extends TandemCommand {
    @Option(names = "--no-probe", description = "Do not run raw `sql` operations: their locks show as unknown and what"
            + " they create is not seen by the plan.")
    boolean noProbe;

    @Mixin
    NewVersionLogins newVersionLogins;

    @Override
    Tandem.Config configure(Tandem.Config config) {
        return newVersionLogins.apply(config);
    }

    @Override
    protected int run() {
        Tandem.PlanReport report = tandem(CliListener.NONE).plan(!noProbe);
        if (json()) {
            Json.snakeCaseDocument(out(), report != null ? report : new Tandem.PlanReport(null, null, null));
        } else if (!quiet()) {
            new PlanPrinter(out()).print(report);
            out().flush();
        }
        return ExitCodes.OK;
    }
}
