package dev.tandem.cli;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tandem.TandemException;
import dev.tandem.migration.MigrationException;
import picocli.CommandLine;
import picocli.CommandLine.IExecutionExceptionHandler;
import picocli.CommandLine.IParameterExceptionHandler;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.ParseResult;
import picocli.CommandLine.UnmatchedArgumentException;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.Locale;

/**
 * Turns failures into a message on stderr and an exit code: usage errors 2, and a {@link TandemException} its
 * kind's code (2 bad input, 3 refused, 4 locked, 1 database). No stack traces unless --verbose; never a password.
 * With --json the error is also written to stdout as an {@code error} event.
 */
final class ErrorHandler implements IExecutionExceptionHandler, IParameterExceptionHandler {

    @Override
    public int handleParseException(ParameterException ex, String[] args) {
        CommandLine cl = ex.getCommandLine();
        PrintWriter err = cl.getErr();
        String secret = cl.getCommand() instanceof TandemCommand c ? c.secret() : null;
        err.println("tandem: error: " + Secrets.redact(ex.getMessage(), secret));
        UnmatchedArgumentException.printSuggestions(ex, err);
        err.print("Usage: " + cl.getHelp().synopsis(0));
        err.println("Try '" + cl.getCommandSpec().qualifiedName() + " --help' for more information.");
        err.flush();
        return ExitCodes.INVALID_INPUT;
    }

    @Override
    public int handleExecutionException(Exception ex, CommandLine cl, ParseResult parseResult) {
        if (ex instanceof ParameterException pe) {
            return handleParseException(pe, parseResult.originalArgs().toArray(String[]::new));
        }
        TandemCommand command = cl.getCommand() instanceof TandemCommand c ? c : null;
        boolean verbose = command != null && command.verbose();
        String secret = command != null ? command.secret() : null;
        PrintWriter err = cl.getErr();
        int code;
        String kind;
        if (ex instanceof MigrationException me) {
            code = me.kind().exitCode;
            kind = me.kind().name().toLowerCase(Locale.ROOT);
            int n = me.problems().size();
            err.println("tandem: error: " + (n == 1 ? "a problem" : n + " problems") + " with the migrations:");
            for (MigrationException.Problem p : me.problems()) err.println(Secrets.redact(p.toString(), secret));
        } else if (ex instanceof TandemException te) {
            code = te.kind().exitCode;
            kind = te.kind().name().toLowerCase(Locale.ROOT);
            err.println("tandem: error: " + Secrets.redact(te.getMessage(), secret));
        } else {
            code = ExitCodes.FAILED;
            kind = "unexpected";
            err.println("tandem: error: unexpected " + ex.getClass().getName() + ": " + Secrets.redact(ex.getMessage(), secret));
            if (!verbose) err.println("(run again with --verbose to see where)");
        }
        if (verbose) {
            StringWriter trace = new StringWriter();
            ex.printStackTrace(new PrintWriter(trace));
            err.print(Secrets.redact(trace.toString(), secret));
        }
        err.flush();
        if (command != null && command.json()) Json.line(cl.getOut(), event(ex, kind, code, secret));
        return code;
    }

    private static ObjectNode event(Exception ex, String kind, int code, String secret) {
        ObjectNode node = Json.event("error").put("kind", kind).put("exit_code", code)
                .put("message", Secrets.redact(String.valueOf(ex.getMessage()), secret));
        if (ex instanceof MigrationException me) {
            ArrayNode problems = node.putArray("problems");
            for (MigrationException.Problem p : me.problems()) {
                ObjectNode o = problems.addObject().put("file", p.location().file());
                if (p.location().line() > 0) o.put("line", p.location().line()).put("column", p.location().column());
                o.put("message", Secrets.redact(p.message(), secret));
            }
        }
        return node;
    }
}
