package dev.tandem.cli;

import dev.tandem.Tandem;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;

import java.time.Duration;

/** How fast a backfill goes and how it shares the database: the same options for `backfill` and `migrate`. */
final class BackfillPacing {
    @Option(names = "--target-batch", paramLabel = "DURATION", defaultValue = "50ms", converter = DurationConverter.class,
            description = "How long one backfill batch should take; the batch size adapts to it (default: ${DEFAULT-VALUE}).")
    Duration targetBatch;

    @Option(names = "--nice-ratio", paramLabel = "R", defaultValue = "4",
            description = "While other sessions keep the database busy, sleep R times each batch's duration after it"
                    + " (default: ${DEFAULT-VALUE}, so at most a fifth of the time); a quiet database gets full"
                    + " speed. 0: never sleep.")
    double niceRatio;

    Tandem.Config apply(Tandem.Config config, CommandSpec spec) {
        if (!(niceRatio >= 0 && niceRatio <= 100)) {
            throw new ParameterException(spec.commandLine(), "--nice-ratio must be between 0 and 100, not " + niceRatio);
        }
        if (targetBatch.isZero() || targetBatch.isNegative()) {
            throw new ParameterException(spec.commandLine(), "--target-batch must be more than 0");
        }
        return config.targetBatch(targetBatch).niceRatio(niceRatio);
    }
}
