package dev.tandem.cli;

import dev.tandem.Tandem;
import picocli.CommandLine.Command;

@Command(name = "plan", description = {
        "Show the SQL of the next migration, with the lock each statement takes.",
        "%nFor the next pending migration (or the one in flight), phase by phase: every SQL statement, the lock it"
                + " takes and what it does to the table's data. Reads only; changes nothing."})
final class PlanCommand extends TandemCommand {
    @Override
    protected int run() {
        Tandem.PlanReport report = tandem(CliListener.NONE).plan();
        if (json()) {
            Json.document(out(), report != null ? report : new Tandem.PlanReport(null, null, null));
        } else if (!quiet()) {
            new PlanPrinter(out()).print(report);
            out().flush();
        }
        return ExitCodes.OK;
    }
}
