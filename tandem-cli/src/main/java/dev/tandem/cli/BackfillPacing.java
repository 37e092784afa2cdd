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

    @Option(names = "--workers", paramLabel = "N", defaultValue = "1",
            description = "Key ranges filled at once, each on a connection of its own (default: ${DEFAULT-VALUE});"
                    + " a walk by key only (MariaDB and MySQL always, PostgreSQL with --by-key). Each worker takes a CPU"
                    + " from the applications while it runs.")
    int workers;

    @Option(names = "--by-key", description = "Walk tables by key, never page by page: for a table that also receives"
            + " writes with triggers off, such as a logical replication subscriber (see docs/CLI.md).")
    boolean byKey;

    /** The ranges are Tandem.Config's; here its refusal becomes a usage error (exit 2) naming the option. */
    Tandem.Config apply(Tandem.Config config, CommandSpec spec) {
        try {
            config.targetBatch(targetBatch).byKey(byKey);
        } catch (IllegalArgumentException e) {
            throw new ParameterException(spec.commandLine(), "--target-batch: " + e.getMessage());
        }
        try {
            config.workers(workers);
        } catch (IllegalArgumentException e) {
            throw new ParameterException(spec.commandLine(), "--workers: " + e.getMessage() + ", not " + workers);
        }
        try {
            return config.niceRatio(niceRatio);
        } catch (IllegalArgumentException e) {
            throw new ParameterException(spec.commandLine(), "--nice-ratio: " + e.getMessage() + ", not " + niceRatio);
        }
    }
}
