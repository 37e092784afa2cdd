package dev.tandem.cli;

import dev.tandem.Status;
import dev.tandem.TandemException;

import java.util.LinkedHashMap;
import java.util.Map;

/** The exit codes of every command, and their lines in --help. */
final class ExitCodes {
    static final int OK = 0;
    static final int FAILED = TandemException.Kind.DATABASE.exitCode;          // 1
    static final int INVALID_INPUT = TandemException.Kind.INVALID_INPUT.exitCode; // 2
    static final int REFUSED = TandemException.Kind.REFUSED.exitCode;          // 3
    static final int LOCKED = TandemException.Kind.LOCKED.exitCode;            // 4
    /** {@code verify} found rows not backfilled or breaking a constraint. */
    static final int VERIFY_FOUND_PROBLEMS = 5;

    private ExitCodes() {
    }

    static Map<String, String> help() {
        Map<String, String> codes = new LinkedHashMap<>();
        codes.put(OK + "", "Success.");
        codes.put(FAILED + "", "The database failed or could not be reached, or an unexpected error.");
        codes.put(INVALID_INPUT + "", "Bad input: wrong options or migration files; nothing was changed.");
        codes.put(REFUSED + "", "Refused: not allowed in the current phase (e.g. contract before backfill), or the server or"
                + " login lacks what the migration needs (each listed with what to run).");
        codes.put(LOCKED + "", "Another Tandem process holds the migration lock.");
        return codes;
    }

    static Map<String, String> verifyHelp() {
        Map<String, String> codes = help();
        codes.put(VERIFY_FOUND_PROBLEMS + "", "Rows not backfilled yet, or rows breaking a constraint contract will validate.");
        return codes;
    }

    /** With {@code status --check}: what to run next, as the exit code. */
    static Map<String, String> statusHelp() {
        Map<String, String> codes = help();
        codes.put(OK + "", "Success; with --check: nothing to do, every migration is complete.");
        for (Status.Next next : Status.Next.values()) {
            if (next == Status.Next.NOTHING) continue;
            if (next == Status.Next.FIX_FILES) {
                codes.put(next.exitCode + "", codes.get(next.exitCode + "") + " With --check also: a migration's file was"
                        + " changed or removed after its expand (restore it, or roll the migration back).");
                continue;
            }
            codes.put(next.exitCode + "", "With --check: " + switch (next) {
                case EXPAND -> "run expand next.";
                case BACKFILL -> "run backfill next: the new version is not ready (its schema does not exist yet), do not"
                        + " roll it out.";
                case CONTRACT -> "the new version is ready: roll it out, then run contract (once no instance of the"
                        + " previous version runs).";
                default -> "a command was interrupted; run it again (see status).";
            });
        }
        return codes;
    }
}
