package dev.tandem.cli;

import dev.tandem.Tandem;
import dev.tandem.engine.Plan;
import dev.tandem.engine.Locks;
import dev.tandem.engine.Step;
import dev.tandem.engine.TableLock;
import dev.tandem.state.Phase;

import java.io.PrintWriter;
import java.util.List;

/** The human layout of a plan: per phase, each statement with the lock it takes on each table and view, and its effect. */
final class PlanPrinter {
    private final PrintWriter out;

    PlanPrinter(PrintWriter out) {
        this.out = out;
    }

    void print(Tandem.PlanReport report) {
        if (report == null) {
            out.println("nothing to plan: every migration is complete");
            return;
        }
        Plan plan = report.plan();
        out.println("migration " + report.migration() + " (" + report.phase() + ")"
                + (report.phase() == Phase.PENDING ? ": planned now against the live schema " + plan.schema()
                : ": the plan recorded at its expand"));
        out.println("  new version schema:      " + plan.versionSchema());
        out.println("  previous version uses:   " + (plan.previousVersionSchema() != null ? plan.previousVersionSchema()
                : plan.schema() + " (the tables directly)"));
        if (!plan.newVersionLogins().isEmpty()) {
            out.println("  new version's logins:    " + String.join(", ", plan.newVersionLogins())
                    + " (their sessions are the new version without @tandem_version)");
        }
        String next = next(report.phase(), plan);
        steps("expand", plan.expand(), next.equals("expand"));
        backfill(plan.backfill(), next.equals("backfill"));
        if (!plan.publish().isEmpty()) {
            steps("new version ready (" + (plan.publishedAfterBackfill() ? "at the end of the backfill" : "at the end of expand")
                    + ")", plan.publish(), false);
        }
        steps("contract", plan.contract(), next.equals("contract"));
        steps("rollback", plan.rollback(), next.equals("rollback"));
        if (!plan.carried().isEmpty()) {
            out.println();
            out.println("carried " + Text.DASH + " your objects on what this migration changes, kept with the same definition");
            for (Plan.Carried c : plan.carried()) out.println("  " + c.object() + ": " + c.how());
        }
        if (!plan.notices().isEmpty()) out.println();
        for (String n : plan.notices()) out.println("  NOTE: " + n);
        for (Plan.Irreversible x : plan.irreversible()) {
            out.println("  IRREVERSIBLE: " + x.reason() + " (expand step " + (x.expandStep() + 1) + "); once expand has run"
                    + " it, `tandem rollback` refuses (see `tandem rollback --help`)");
        }
    }

    /** The phase the next lifecycle command runs. */
    private static String next(Phase phase, Plan plan) {
        return switch (phase) {
            case PENDING, ROLLED_BACK, EXPANDING -> "expand";
            case EXPANDED -> plan.backfill().isEmpty() ? "contract" : "backfill";
            case BACKFILLING -> "backfill";
            case BACKFILLED, CONTRACTING -> "contract";
            case ROLLING_BACK -> "rollback";
            case COMPLETE -> "";
        };
    }

    private void steps(String phase, List<Step> steps, boolean next) {
        out.println();
        out.println(heading(phase, steps.size(), steps.size() == 1 ? "statement" : "statements", next));
        if (steps.isEmpty()) {
            out.println("  (nothing)");
            return;
        }
        int width = String.valueOf(steps.size()).length();
        String pad = " ".repeat(width + 4);
        for (int i = 0; i < steps.size(); i++) {
            Step s = steps.get(i);
            out.println("  " + " ".repeat(width - String.valueOf(i + 1).length()) + (i + 1) + ". "
                    + s.description().strip().replaceAll("\\s*\n\\s*", "\n" + pad));
            locks(s.locks(), pad);
            out.println(pad + "effect: " + s.effect().text + mode(s));
            out.println(Text.indent(s.sql(), pad + "  "));
        }
    }

    /** One line per table or view: the mode as PostgreSQL names it, and what the application notices meanwhile. */
    private void locks(Locks locks, String pad) {
        String label = pad + "locks:  ";
        if (!locks.known()) {
            out.println(label + "unknown (" + locks.reason() + ")");
            return;
        }
        if (locks.tables().isEmpty()) {
            out.println(label + "none on tables or views");
            return;
        }
        String next = " ".repeat(label.length());
        boolean first = true;
        for (TableLock t : locks.tables()) {
            out.println((first ? label : next) + t.mode().text + " on " + t.qualifiedName()
                    + (t.renamedTo() != null ? " (renamed to " + t.renamedTo() + ")" : "") + " (" + t.mode().blocks() + ")");
            first = false;
        }
        if (locks.source() == Locks.Source.MEASURED) out.println(next + "(measured from pg_locks, not derived from the SQL)");
    }

    private static String mode(Step s) {
        return switch (s.mode()) {
            case TRANSACTIONAL -> "";
            case CONCURRENT -> " (outside a transaction)";
            case LONG -> " (no statement timeout)";
        };
    }

    private void backfill(List<Plan.BackfillTask> tasks, boolean next) {
        out.println();
        out.println(heading("backfill", tasks.size(), tasks.size() == 1 ? "table" : "tables", next));
        if (tasks.isEmpty()) {
            out.println("  (nothing: no existing rows need new values)");
            return;
        }
        for (Plan.BackfillTask t : tasks) {
            out.println("  " + t.table() + " in batches by (" + String.join(", ", t.keyColumns()) + "),"
                    + " each batch its own short transaction; rows already written by an application are skipped");
            for (Plan.Assignment a : t.assignments()) {
                out.println("      " + a.column() + " := " + a.expression());
            }
            out.println("      " + t.doneColumn() + " := true");
        }
    }

    private static String heading(String phase, int n, String unit, boolean next) {
        return phase + " " + Text.DASH + " " + n + " " + unit + (next ? "   <- next" : "");
    }
}
