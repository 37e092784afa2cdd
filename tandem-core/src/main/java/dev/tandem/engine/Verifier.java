package dev.tandem.engine;

import dev.tandem.catalog.Catalog;
import dev.tandem.dialect.Dialect;

import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Read-only check of a migration in flight, safe on a production primary: it walks each backfilled table in
 * key-ordered chunks, each a short read-only statement, and counts rows the backfill has not reached yet and
 * rows that break a constraint the new version will validate at contract.
 */
public final class Verifier {
    private static final int CHUNK = 10_000;
    /** The finding for rows the backfill has not reached. */
    public static final String NOT_BACKFILLED = "not backfilled yet";

    private final Dialect dialect;

    public Verifier(Dialect dialect) {
        this.dialect = dialect;
    }

    /** What verify found in one table: per finding, how many rows and a few of their keys. */
    public record TableReport(String table, long rows, Map<String, Finding> findings) {
        public boolean clean() {
            return findings.values().stream().allMatch(f -> f.rows() == 0);
        }
    }

    public record Finding(long rows, List<String> sampleKeys) {
    }

    public List<TableReport> verify(Connection c, Plan plan, Catalog catalog) throws SQLException {
        List<TableReport> reports = new ArrayList<>();
        c.setAutoCommit(true);
        dialect.setTimeouts(c, Duration.ofSeconds(1), Duration.ofSeconds(30));
        for (Catalog.Table table : catalog.tables().values()) {
            Plan.BackfillTask task = plan.backfill().stream().filter(t -> t.table().equals(table.name())).findFirst().orElse(null);
            Map<String, String> predicates = new LinkedHashMap<>();
            if (task != null) predicates.put(NOT_BACKFILLED, dialect.quote(task.doneColumn()) + " IS NOT TRUE");
            for (Plan.RowCheck check : plan.rowChecks()) {
                if (!table.name().equals(check.table()) || check.tableCondition() == null) continue;
                // A row the backfill has not reached is counted as such, not as breaking what it will be filled to meet.
                predicates.put("breaks " + check.what(), (task != null ? dialect.quote(task.doneColumn()) + " IS TRUE AND " : "")
                        + "NOT (" + check.tableCondition() + ")");
            }
            for (Catalog.Constraint k : table.constraints()) {
                String expr = k.type() == 'c' && !k.validated() ? dialect.checkExpression(k.definition()) : null;
                if (expr != null) predicates.put("breaks " + k.name(), "NOT (" + expr + ")");
            }
            List<String> keys = task != null ? task.keyColumns() : table.primaryKey();
            if (predicates.isEmpty() || keys.isEmpty()) continue;
            List<String> types = keys.stream().map(k -> table.column(k).orElseThrow().type()).toList();
            reports.add(walk(c, plan.schema(), table.name(), keys, types, predicates));
        }
        return reports;
    }

    private TableReport walk(Connection c, String schema, String table, List<String> keys, List<String> keyTypes,
                             Map<String, String> predicates) throws SQLException {
        List<String> labels = List.copyOf(predicates.keySet());
        List<String> sql = List.copyOf(predicates.values());
        long[] counts = new long[labels.size()];
        List<List<String>> samples = new ArrayList<>();
        labels.forEach(l -> samples.add(new ArrayList<>()));
        long rows = 0;
        List<String> after = null;
        while (true) {
            Dialect.VerifyChunk chunk = dialect.verifyChunk(c, schema, table, keys, keyTypes, after, CHUNK, sql);
            rows += chunk.walked();
            for (int i = 0; i < labels.size(); i++) {
                counts[i] += chunk.counts()[i];
                List<String> sample = samples.get(i);
                for (String key : chunk.samples().get(i)) if (sample.size() < 5) sample.add(key);
            }
            if (chunk.walked() < CHUNK) break;
            after = chunk.lastKey();
        }
        Map<String, Finding> findings = new LinkedHashMap<>();
        for (int i = 0; i < labels.size(); i++) findings.put(labels.get(i), new Finding(counts[i], samples.get(i)));
        return new TableReport(table, rows, findings);
    }
}
