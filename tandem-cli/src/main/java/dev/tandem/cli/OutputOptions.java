package dev.tandem.cli;

import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;

/** How much the CLI prints, and in which form. */
public final class OutputOptions {

    @Option(names = "--json", description = "Machine-readable output on stdout: JSON events, one per line, or one"
            + " JSON document for plan and status.")
    boolean json;

    @Option(names = {"-q", "--quiet"}, description = "Print only errors (and, with --json, the JSON output without"
            + " progress events).")
    boolean quiet;

    @Option(names = {"-v", "--verbose"}, description = "Show the core's debug log and stack traces of errors.")
    boolean verbose;

    void validate(CommandSpec spec) {
        if (quiet && verbose) {
            throw new ParameterException(spec.commandLine(), "--quiet and --verbose cannot be used together");
        }
    }
}
