package dev.tandem.cli;

import dev.tandem.cli.demo.DemoCommand;
import dev.tandem.cli.demo.SandboxCommand;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

import java.util.Map;
import java.util.concurrent.Callable;

/**
 * {@code tandem}: zero-downtime schema migrations for PostgreSQL and MariaDB. Each subcommand is one class; to add one,
 * write it (extend {@link TandemCommand} to get the shared options) and list it in {@code subcommands} below.
 */
@Command(name = "tandem", mixinStandardHelpOptions = true, versionProvider = VersionProvider.class,
        usageHelpAutoWidth = true,
        description = {"Zero-downtime schema migrations for PostgreSQL and MariaDB: expand, backfill, contract.",
                "Every command takes --url (or TANDEM_URL) and the options shown by 'tandem COMMAND --help'."},
        subcommands = {PlanCommand.class, ExpandCommand.class, BackfillCommand.class, VerifyCommand.class,
                ContractCommand.class, RollbackCommand.class, StatusCommand.class, MigrateCommand.class,
                DemoCommand.class, SandboxCommand.class},
        footerHeading = "%nEnvironment:%n",
        footer = {"  TANDEM_URL, TANDEM_USER, TANDEM_PASSWORD, TANDEM_SCHEMA,",
                "  TANDEM_STATE_SCHEMA, TANDEM_MIGRATIONS",
                "               defaults of the options of the same name",
                "  TANDEM_OPTS  JVM options for the ./tandem launcher",
                "%nSee docs/CLI.md for the whole reference."})
public final class Main implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    public static void main(String[] args) {
        System.exit(newCommandLine().execute(args));
    }

    /** A ready command line: handlers for errors and exit codes set up. */
    public static CommandLine newCommandLine() {
        return configure(new CommandLine(new Main()));
    }

    /** Sets up a command line made of {@link Main}: error handling, exit codes and their help. */
    public static CommandLine configure(CommandLine cl) {
        ErrorHandler errors = new ErrorHandler();
        cl.setParameterExceptionHandler(errors);
        cl.setExecutionExceptionHandler(errors);
        cl.setCaseInsensitiveEnumValuesAllowed(true);
        exitCodeHelp(cl, ExitCodes.help());
        for (CommandLine sub : cl.getSubcommands().values()) {
            if (!(sub.getCommand() instanceof TandemCommand)) continue; // demo and sandbox list their own
            exitCodeHelp(sub, sub.getCommand() instanceof StatusCommand ? ExitCodes.statusHelp()
                    : sub.getCommand() instanceof VerifyCommand ? ExitCodes.verifyHelp() : ExitCodes.help());
        }
        return cl;
    }

    private static void exitCodeHelp(CommandLine cl, Map<String, String> codes) {
        cl.getCommandSpec().usageMessage().exitCodeListHeading("%nExit codes:%n").exitCodeList(codes);
    }

    @Override
    public Integer call() {
        throw new ParameterException(spec.commandLine(), "Missing command: one of "
                + String.join(", ", spec.subcommands().keySet()));
    }
}
