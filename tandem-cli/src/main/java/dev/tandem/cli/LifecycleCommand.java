package dev.tandem.cli;

import dev.tandem.Outcome;
import dev.tandem.Tandem;

import java.util.List;

/** A command that changes the schema: progress while it runs, then what it did (its Outcomes). */
abstract class LifecycleCommand extends TandemCommand {

    @Override
    protected final int run() {
        List<Outcome> outcomes;
        try (CliListener listener = listener()) {
            outcomes = execute(tandem(listener));
        }
        for (Outcome o : outcomes) report(o);
        return ExitCodes.OK;
    }

    protected abstract List<Outcome> execute(Tandem tandem);

    private void report(Outcome o) {
        if (json()) {
            Json.line(out(), JsonEvents.outcome(o));
        } else if (!quiet()) {
            out().println(o.message());
            out().flush();
        }
    }
}
