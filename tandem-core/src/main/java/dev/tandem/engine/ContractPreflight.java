package dev.tandem.engine;

import dev.tandem.catalog.Catalog;
import dev.tandem.dialect.Dialect;

import java.sql.Connection;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Everything that could make a contract fail after its point of no return, checked before it: rows that break a
 * constraint contract validates, rows the backfill has not filled, invalid indexes contract would turn into
 * constraints, and the user's objects that would stop a drop. Contract runs only when this finds nothing, so a
 * contract that starts dropping finishes, and one that cannot is refused while rollback is still possible.
 * Read-only: it walks the tables as {@code verify} does, in short read-only statements.
 */
public final class ContractPreflight {
    private final Dialect dialect;

    public ContractPreflight(Dialect dialect) {
        this.dialect = dialect;
    }

    /** One thing in the way of contract, and what the user can do about it. */
    public record Problem(String what, String todo, dev.tandem.migration.SourceLocation at) {
        Problem(String what, String todo) {
            this(what, todo, null);
        }

        @Override
        public String toString() {
            return what + ": " + todo;
        }
    }

    /** What stands in the way of contracting {@code plan}; empty when contract can run to the end. */
    public List<Problem> check(Connection c, Plan plan) throws SQLException {
        List<Problem> problems = new ArrayList<>(blockedDrops(c, plan, true));
        if (plan.previousVersionSchema() != null) problems.addAll(versionSchema(c, plan.previousVersionSchema()));
        Catalog catalog = dialect.readCatalog(c, plan.schema());
        problems.addAll(rowProblems(c, plan, catalog));
        for (Plan.RowCheck check : plan.rowChecks()) {
            Dialect.Violations v = dialect.violations(c, plan.versionSchema(), check.view(), check.condition(), 5);
            if (v.rows() > 0) {
                problems.add(new Problem(v.rows() + " row(s) of " + check.view() + " break the " + check.what()
                        + " (rows " + String.join(", ", v.samples()) + ")", "fix those rows (through either version),"
                        + " then run `tandem contract` again; or `tandem rollback`"));
            }
        }
        Set<String> touched = new LinkedHashSet<>();
        plan.backfill().forEach(t -> touched.add(t.table()));
        plan.contractDrops().forEach(d -> touched.add(d.table()));
        for (String table : touched) {
            for (Catalog.Index i : catalog.table(table).map(Catalog.Table::indexes).orElse(List.of())) {
                if (!i.valid()) {
                    problems.add(new Problem("index " + i.name() + " on " + table + " is invalid (a concurrent build"
                            + " failed or was cancelled)", "drop it (DROP INDEX CONCURRENTLY) and build it again, or run"
                            + " `tandem rollback` and `tandem expand`"));
                }
            }
        }
        return problems;
    }

    /**
     * Your objects in or on a version schema that is about to be dropped (contract drops the previous version's,
     * rollback the new one's): Tandem drops only its own views.
     */
    public List<Problem> versionSchema(Connection c, String versionSchema) throws SQLException {
        List<Problem> problems = new ArrayList<>();
        for (String blocker : dialect.versionSchemaBlockers(c, versionSchema)) {
            problems.add(new Problem(blocker + " is in or on version schema " + versionSchema + ", which is dropped with"
                    + " its views", "move it out of that schema, or drop it or make it use the table itself, then run"
                    + " the command again; Tandem never drops your objects"));
        }
        return problems;
    }

    /** The same check for the drops alone: what {@code plan} and {@code expand} can tell before anything changes. */
    public List<Problem> blockedDrops(Connection c, Plan plan) throws SQLException {
        return blockedDrops(c, plan, false);
    }

    private List<Problem> blockedDrops(Connection c, Plan plan, boolean atContract) throws SQLException {
        List<Problem> problems = new ArrayList<>();
        List<String> own = new ArrayList<>();
        own.add(plan.versionSchema());
        if (plan.previousVersionSchema() != null) own.add(plan.previousVersionSchema());
        for (Plan.Dropped d : plan.contractDrops()) {
            for (String blocker : dialect.dropBlockers(c, plan.schema(), d, own)) {
                problems.add(new Problem(blocker + " depends on " + describe(d) + ", which contract drops",
                        atContract ? "drop or change " + blocker + " yourself, then run `tandem contract` again (or"
                                + " `tandem rollback`); Tandem never drops your objects with CASCADE"
                                : "drop or change " + blocker + " in an earlier migration (or with a `sql` operation before"
                                + " this one's operations), then plan again; Tandem never drops your objects with CASCADE",
                        d.at()));
            }
        }
        return problems;
    }

    private static String describe(Plan.Dropped d) {
        return switch (d.kind()) {
            case "table" -> "table " + d.table();
            case "column", "replaced" -> "column " + d.name() + " of table " + d.table();
            default -> d.kind() + " " + d.name() + " of table " + d.table();
        };
    }

    private List<Problem> rowProblems(Connection c, Plan plan, Catalog catalog) throws SQLException {
        List<Problem> problems = new ArrayList<>();
        for (Verifier.TableReport report : new Verifier(dialect).verify(c, plan, catalog)) {
            for (Map.Entry<String, Verifier.Finding> f : report.findings().entrySet()) {
                if (f.getValue().rows() == 0) continue;
                String keys = f.getValue().sampleKeys().isEmpty() ? ""
                        : " (keys " + String.join(", ", f.getValue().sampleKeys()) + ")";
                boolean unfilled = f.getKey().equals(Verifier.NOT_BACKFILLED);
                problems.add(new Problem(f.getValue().rows() + " row(s) of " + report.table() + " " + f.getKey() + keys,
                        unfilled ? "run `tandem backfill --by-key`, which walks the table again by key and fills every"
                                + " row not filled yet (rows written with triggers off are such rows)"
                                : "fix those rows (through either version), check with `tandem verify`, then run"
                                + " `tandem contract` again; or `tandem rollback`"));
            }
        }
        return problems;
    }
}
