package dev.tandem.engine.lifecycle;

import dev.tandem.TandemException;
import dev.tandem.catalog.Catalog;
import dev.tandem.dialect.Dialect;
import dev.tandem.engine.ContractPreflight;
import dev.tandem.engine.Executor;
import dev.tandem.engine.Plan;
import dev.tandem.engine.Planner;
import dev.tandem.engine.RawSqlProbe;
import dev.tandem.engine.Step;
import dev.tandem.migration.Migration;
import dev.tandem.migration.MigrationException;
import dev.tandem.migration.Operation;
import dev.tandem.migration.SourceLocation;
import dev.tandem.state.MigrationState;
import dev.tandem.state.Phase;
import dev.tandem.state.StateStore;

import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The plan of a migration not yet expanded, made against the live catalog and checked there, changing nothing. An
 * expanded migration's plan is the one stored at its expand, never made again.
 */
public final class FreshPlan {
    /** How long each raw SQL statement may wait or run when {@code plan} tries it (expand allows the statement timeout). */
    private static final Duration PLAN_PROBE_TIMEOUT = Duration.ofSeconds(2);

    private final Dialect dialect;
    private final StateStore state;
    private final String schema;
    private final String stateSchema;
    private final Duration lockTimeout;
    private final Duration statementTimeout;
    private final PlanChecks checks;
    private final List<String> newVersionLogins;
    private final RowChecks rowChecks;
    private final ServerGate serverGate;

    /**
     * @param lockTimeout      how long each catalog statement of the planning transaction may wait for its lock
     * @param statementTimeout how long each may run, and each raw SQL statement expand tries
     * @param newVersionLogins logins whose sessions are the new version's ({@link Dialect#newVersionLoginsRefused})
     */
    public FreshPlan(Dialect dialect, StateStore state, Database database, String schema, String stateSchema,
                     Duration lockTimeout, Duration statementTimeout, List<String> newVersionLogins) {
        this.newVersionLogins = List.copyOf(newVersionLogins);
        this.dialect = dialect;
        this.state = state;
        this.schema = schema;
        this.stateSchema = stateSchema;
        this.lockTimeout = lockTimeout;
        this.statementTimeout = statementTimeout;
        this.checks = new PlanChecks(dialect, schema);
        this.rowChecks = new RowChecks(dialect, database, lockTimeout, statementTimeout);
        this.serverGate = new ServerGate(dialect, stateSchema);
    }

    /** The server check plan and expand run, for expand resumed from its checkpoint. */
    ServerGate serverGate() {
        return serverGate;
    }

    /**
     * The plan {@code tandem plan} shows. With {@code probe}, raw SQL is tried, each statement waiting and running at
     * most 2 s; without, its locks are reported as unknown and what it creates is not seen.
     *
     * @throws MigrationException when the file's expressions or indexes are not valid, or contract could not drop
     *                            what the plan drops
     */
    public Plan forPlan(Connection c, Migration m, List<Migration> files, boolean probe) throws SQLException {
        return plan(c, m, files, probe ? PLAN_PROBE_TIMEOUT : null);
    }

    /**
     * The expand-time plan: raw SQL is tried with the statement timeout, and waits for its locks are retried.
     *
     * @throws TandemException {@link TandemException.Kind#DATABASE} when raw SQL did not finish in 5 tries
     */
    public Plan forExpand(Connection c, Migration m, List<Migration> files) throws SQLException {
        for (int attempt = 1; ; attempt++) {
            Plan plan;
            try {
                plan = plan(c, m, files, statementTimeout);
            } catch (SQLException e) {
                // Planning reads the tables (the catalog, the rows the checks evaluate) under the lock timeout, and a
                // session holding one of them exclusively makes a read give up. Nothing is changed yet: try again a few
                // times, as a step would, before saying so.
                if (!dialect.isRetryable(e) || dialect.isConnectionLost(e)) throw e;
                if (attempt == 5) {
                    throw new TandemException(TandemException.Kind.DATABASE, "expand of " + m.name() + " did not start:"
                            + " planning it gave up 5 times, each after the lock timeout (" + lockTimeout.toMillis()
                            + " ms) or the statement timeout (" + statementTimeout.toMillis() + " ms): " + e.getMessage()
                            + ". Another session holding a table it reads locked does this. Nothing was changed; run"
                            + " `tandem expand` again once that session's transaction has ended.", e);
                }
                sleepQuietly(Executor.backoff(attempt));
                continue;
            }
            List<String> unknown = plan.expand().stream().filter(s -> !s.locks().known()
                    && s.locks().reason().startsWith(RawSqlProbe.TIMED_OUT)).map(Step::description).toList();
            if (unknown.isEmpty()) return plan;
            if (attempt == 5) {
                throw new TandemException(TandemException.Kind.DATABASE, "expand of " + m.name() + " did not start: "
                        + String.join(", ", unknown) + " could not finish within " + statementTimeout.toMillis()
                        + " ms in 5 tries (it waits for a lock a long transaction holds, or runs longer than"
                        + " --statement-timeout). Nothing was changed; run `tandem expand` again later.");
            }
            sleepQuietly(Executor.backoff(attempt));
        }
    }

    /**
     * Plans a migration against the live catalog, all in one transaction that is always rolled back: the migration's
     * raw SQL runs first, in order (so the plan sees what it creates, and its locks are measured), then the catalog
     * is read and the plan made, then the server is checked ({@link Dialect#checkServer}), then the file's SQL
     * expressions and the drops contract will make.
     *
     * @param probeTimeout how long each raw SQL statement may take; null: do not run raw SQL (its locks unknown)
     */
    private Plan plan(Connection c, Migration m, List<Migration> files, Duration probeTimeout) throws SQLException {
        String refused = dialect.newVersionLoginsRefused(newVersionLogins, dev.tandem.engine.Names.versionSchema(schema, m.name()));
        if (refused != null) throw Refusals.refused("migration " + m.name() + ": " + refused + ". Nothing was changed.");
        boolean auto = c.getAutoCommit();
        c.setAutoCommit(false);
        try {
            boolean rawSql = m.operations().stream().anyMatch(o -> o instanceof Operation.RawSql);
            // Only raw SQL can create tables before the plan's own catalog read: without it, that read says it all.
            Set<String> before = rawSql ? Set.copyOf(dialect.readCatalog(c, schema).tables().keySet()) : null;
            Map<Operation.RawSql, RawSqlProbe.Result> probes = probeTimeout == null
                    ? Map.of() : new RawSqlProbe(dialect, probeTimeout).run(c, m);
            dialect.setTransactionTimeouts(c, lockTimeout, statementTimeout);
            // Without the probe, what raw SQL creates is not there: the expressions that use it cannot be checked.
            boolean check = probeTimeout != null || !rawSql;
            Plan plan = planAndCheck(c, m, files, probes, before, check);
            List<MigrationException.Problem> blocked = new ArrayList<>();
            for (var p : new ContractPreflight(dialect).blockedDrops(c, plan)) {
                blocked.add(new MigrationException.Problem(p.at() != null ? p.at() : SourceLocation.unknown(m.file()),
                        p.toString()));
            }
            if (!blocked.isEmpty()) throw new MigrationException(blocked);
            return plan;
        } finally {
            c.rollback();
            c.setAutoCommit(auto);
        }
    }

    private Plan planAndCheck(Connection c, Migration m, List<Migration> files, Map<Operation.RawSql, RawSqlProbe.Result> probes,
                              Set<String> tablesBefore, boolean check) throws SQLException {
        Catalog catalog = dialect.readCatalog(c, schema);
        String previous = previousVersionSchema(c, m, files);
        Planner.Result result = new Planner(dialect, stateSchema, newVersionLogins).plan(m, catalog, previous, dialect.versionNames(c, previous), probes,
                tablesBefore != null ? tablesBefore : catalog.tables().keySet());
        // The server first: an expression tried by a login that lacks a privilege would fail for that reason.
        Plan plan = checkServer(c, m, result);
        if (!check) return plan;
        checks.run(c, result.checks(), result.indexChecks());
        if (tablesBefore != null) {
            // The existing rows are read on a connection of their own, which cannot see what this transaction's raw
            // SQL made: a migration with raw SQL is tried on the stand-in row only.
            return result.checks().stream().anyMatch(x -> x.table() != null) ? plan.withNotices(List.of("the up"
                    + " expressions were not evaluated on existing rows: the migration has raw SQL, whose changes the"
                    + " check could not see")) : plan;
        }
        RowChecks.Outcome rows = rowChecks.run(schema, result.checks());
        if (!rows.problems().isEmpty()) throw new MigrationException(rows.problems());
        return plan.withNotices(rows.notices());
    }

    /**
     * The plan with what {@code plan} should say about this server as notices; refused, listing every problem at once
     * with what to do about it, when the server or this login lacks something the whole migration needs (README,
     * "The privileges Tandem needs").
     */
    private Plan checkServer(Connection c, Migration m, Planner.Result result) throws SQLException {
        List<String> warnings = serverGate.require(c, result.plan(), Dialect.Command.EXPAND, result.changedTables(),
                result.syncTriggers(), true, "migration " + m.name() + " cannot run on this server as this login;"
                        + " nothing was changed.");
        return result.plan().withNotices(warnings);
    }

    /** The version schema of the last complete migration before {@code m} that still exists; null when none does. */
    private String previousVersionSchema(Connection c, Migration m, List<Migration> files) throws SQLException {
        String previous = null;
        Map<String, MigrationState> states = state.all(c);
        for (Migration f : files) {
            if (f == m) break;
            MigrationState s = states.get(f.name());
            if (s != null && s.phase() == Phase.COMPLETE && s.versionSchema() != null && dialect.schemaExists(c, s.versionSchema())) {
                previous = s.versionSchema();
            }
        }
        return previous;
    }

    private static void sleepQuietly(Duration d) {
        try {
            Thread.sleep(d.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new TandemException(TandemException.Kind.DATABASE, "interrupted");
        }
    }
}
