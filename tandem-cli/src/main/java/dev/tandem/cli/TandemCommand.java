package dev.tandem.cli;

import dev.tandem.Tandem;
import dev.tandem.TandemListener;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.util.concurrent.Callable;

/**
 * What every command shares: the connection and output options, setting up logging before the core is touched,
 * and the streams (picocli's, so that tests can capture them).
 */
@Command(mixinStandardHelpOptions = true, versionProvider = VersionProvider.class, sortOptions = false,
        abbreviateSynopsis = true, usageHelpAutoWidth = true, showDefaultValues = false,
        optionListHeading = "%nOptions:%n")
abstract class TandemCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Mixin
    ConnectionOptions connection;

    @Mixin
    OutputOptions output;

    @Override
    public final Integer call() {
        output.validate(spec);
        // Before any class of the core creates its logger.
        Logging.configure(output.verbose, output.quiet);
        return run();
    }

    protected abstract int run();

    /** The core, configured from the options; throws a usage error when --url is missing. */
    Tandem tandem(TandemListener listener) {
        return configure(connection.config(spec)).listener(listener).load();
    }

    /** For commands with settings of their own. */
    Tandem.Config configure(Tandem.Config config) {
        return config;
    }

    /** Progress for people on stderr, JSON events on stdout, or nothing with --quiet. */
    CliListener listener() {
        if (output.quiet) return CliListener.NONE;
        if (output.json) return new JsonEvents(out());
        return new StepPrinter(err(), BackfillProgress.forConsole(err()), output.verbose);
    }

    PrintWriter out() {
        return spec.commandLine().getOut();
    }

    PrintWriter err() {
        return spec.commandLine().getErr();
    }

    boolean json() {
        return output != null && output.json;
    }

    boolean verbose() {
        return output != null && output.verbose;
    }

    boolean quiet() {
        return output != null && output.quiet;
    }

    /** The password in any form it was given, so that error output can blank it out. */
    String secret() {
        return connection == null ? null : connection.secret();
    }
}
