package dev.tandem.cli;

import dev.tandem.engine.Step;
import dev.tandem.state.Phase;

import java.io.PrintWriter;
import java.time.Duration;

/**
 * Human progress on stderr: one line per step as it runs,
 * {@code [expand 3/9] add column users.email … 12 ms}, lock retries on the step's line, and backfill progress
 * handed to a {@link BackfillProgress}.
 */
final class StepPrinter implements CliListener {
    private final PrintWriter err;
    private final BackfillProgress backfill;
    private final boolean verbose;
    /** The header of the step whose line is open (printed without its end yet), or null. */
    private String open;
    /** The step that started last, as {@code [expand 3/9]}, and its description. */
    private String lastTag;
    private String lastDescription;
    /** The tag of a step that gave way for its lock: when it starts again, its description is not repeated. */
    private String retried;

    StepPrinter(PrintWriter err, BackfillProgress backfill, boolean verbose) {
        this.err = err;
        this.backfill = backfill;
        this.verbose = verbose;
    }

    @Override
    public synchronized void phaseStarted(String migration, Phase phase, int steps, int alreadyDone) {
        endLine();
        backfill.close();
        String verb = CliListener.verb(phase);
        if (alreadyDone > 0) {
            err.println(migration + ": resuming " + verb + " at step " + (alreadyDone + 1) + " of " + steps
                    + " (" + alreadyDone + " done before)");
        } else {
            err.println(migration + ": " + verb + ", " + steps + (steps == 1 ? " step" : " steps"));
        }
        err.flush();
    }

    @Override
    public synchronized void stepStarted(String migration, Phase phase, int index, int total, Step step) {
        endLine();
        String tag = tag(phase, index, total);
        open = tag.equals(retried) ? tag : header(tag, step.description());
        retried = null;
        lastTag = tag;
        lastDescription = step.description();
        if (verbose) {
            // The core's debug log would land in the middle of an open line.
            err.println(open);
            open = null;
        } else {
            err.print(open + " " + Text.ELLIPSIS + " ");
        }
        err.flush();
    }

    @Override
    public synchronized void stepSkipped(String migration, Phase phase, int index, int total, Step step) {
        endLine();
        String tag = tag(phase, index, total);
        err.println((tag.equals(retried) ? tag : header(tag, step.description())) + " " + Text.ELLIPSIS
                + " skipped (already done)");
        retried = null;
        err.flush();
    }

    @Override
    public synchronized void stepFinished(String migration, Phase phase, int index, int total, Step step, Duration took) {
        if (open == null) {
            String tag = tag(phase, index, total);
            err.print((tag.equals(lastTag) ? tag : header(tag, step.description())) + " " + Text.ELLIPSIS + " ");
        }
        err.println(Text.duration(took));
        open = null;
        retried = null;
        err.flush();
    }

    @Override
    public synchronized void stepRetry(String migration, Step step, int attempt, Duration wait, String reason) {
        // The listener is not told the step's phase or number here; the line of the step that started last is it.
        boolean known = lastTag != null && step.description().equals(lastDescription);
        if (open == null) {
            err.print((known ? lastTag : header("[retry]", step.description())) + " " + Text.ELLIPSIS + " ");
        }
        retried = known ? lastTag : null;
        err.print("waiting for lock " + Text.ELLIPSIS + " retry " + attempt + " in " + wait.toMillis() + " ms");
        if (verbose && reason != null) err.print(" (" + firstLine(reason) + ")");
        err.println();
        open = null;
        err.flush();
    }

    @Override
    public synchronized void stepHeldBack(String migration, Step step, String why, Duration heldFor) {
        boolean known = lastTag != null && step.description().equals(lastDescription);
        if (open == null) {
            err.print((known ? lastTag : header("[waits]", step.description())) + " " + Text.ELLIPSIS + " ");
        }
        retried = known ? lastTag : null;
        err.println("not started for " + Text.duration(heldFor) + ": " + why);
        open = null;
        err.flush();
    }

    @Override
    public void backfillProgress(String migration, String table, long rowsDone, long rowsTotal, double rowsPerSecond) {
        synchronized (this) {
            endLine();
        }
        backfill.update(migration, table, rowsDone, rowsTotal, rowsPerSecond);
    }

    @Override
    public synchronized void message(String text) {
        endLine();
        err.println(text);
        err.flush();
    }

    @Override
    public synchronized void close() {
        endLine();
        backfill.close();
        err.flush();
    }

    private void endLine() {
        if (open != null) {
            err.println();
            open = null;
        }
    }

    private static String tag(Phase phase, int index, int total) {
        return "[" + CliListener.verb(phase) + " " + (index + 1) + "/" + total + "]";
    }

    /** The tag and the description; the lines of a description of several lines are aligned under its first. */
    private static String header(String tag, String description) {
        String indent = " ".repeat(tag.length() + 1);
        return tag + " " + description.strip().replaceAll("\\s*\n\\s*", "\n" + indent);
    }

    private static String firstLine(String s) {
        int nl = s.indexOf('\n');
        return nl < 0 ? s.strip() : s.substring(0, nl).strip();
    }
}
