package dev.tandem;

import dev.tandem.catalog.Catalog;
import dev.tandem.dialect.Dialect;
import dev.tandem.dialect.Dialects;
import dev.tandem.engine.Backfiller;
import dev.tandem.engine.Executor;
import dev.tandem.engine.MigrationLock;
import dev.tandem.engine.Names;
import dev.tandem.engine.Plan;
import dev.tandem.engine.PlanContext;
import dev.tandem.engine.Step;
import dev.tandem.engine.Planner;
import dev.tandem.migration.Migration;
import dev.tandem.migration.MigrationException;
import dev.tandem.migration.MigrationReader;
import dev.tandem.state.MigrationState;
import dev.tandem.state.Phase;
import dev.tandem.state.StateStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import javax.sql.DataSource;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * The entry point: configure, load, then run a phase.
 *
 * <pre>{@code
 * Tandem tandem = Tandem.configure().dataSource(ds).migrations(Path.of("migrations")).load();
 * tandem.expand();    // old and new version now run side by side
 * tandem.backfill();
 * tandem.contract();  // once the old version is gone
 * }</pre>
 *
 * Every phase is idempotent: after a crash or a lost connection, call the same method again.
 */
public final class Tandem {
    private static final Logger log = LoggerFactory.getLogger(Tandem.class);
    /** A heartbeat younger than this means the instance is alive (three of the client's default 10 s beats). */
    private static final Duration HEARTBEAT_FRESH = Duration.ofSeconds(30);

    private final Config config;
    private final Dialect dialect;
    private final StateStore state;

    private Tandem(Config config) {
        this.config = config;
        this.dialect = config.dialect;
        this.state = dialect.stateStore(config.stateSchema, config.schema);
    }

    public static Config configure() {
        return new Config();
    }

    /** Fluent configuration; every setting has a safe default except where the database is. */
    public static final class Config {
        private DataSource dataSource;
        private Path migrations = Path.of("migrations");
        /** Null: the dialect's default, read from the first connection ({@link Dialect#defaultSchema}). */
        private String schema;
        private String stateSchema = "tandem";
        private Duration lockTimeout = Duration.ofMillis(500);
        private Duration statementTimeout = Duration.ofSeconds(30);
        private Duration retryDeadline = Duration.ofMinutes(10);
        private Duration lockWait = Duration.ofSeconds(10);
        private Duration targetBatch = Duration.ofMillis(50);
        private Duration maxReplicaLag = Duration.ofSeconds(1);
        private double niceRatio = 4;
        private boolean byKey;
        private List<DataSource> replicas = List.of();
        private Integer maxRowsPerSecond;
        private int minBatch = 100;
        private int maxBatch = 50_000;
        private TandemListener listener = TandemListener.NONE;
        /** Null: chosen by the URL where it settles it, else by the server of the first connection. */
        private Dialect dialect;
        private Dialect urlDialect;

        private Config() {
        }

        public Config dataSource(DataSource dataSource) {
            this.dataSource = dataSource;
            return this;
        }

        /**
         * A JDBC URL ({@code jdbc:postgresql:}, {@code jdbc:mariadb:} or {@code jdbc:mysql:}), for when there is no pool
         * to hand over; a PostgreSQL one also settles the dialect (see {@link Dialects#settledByUrl}).
         *
         * @throws TandemException (INVALID_INPUT) for any other URL, or when its driver is missing
         */
        public Config url(String url, String user, String password) {
            this.dataSource = Dialects.dataSource(url, user, password);
            this.urlDialect = Dialects.settledByUrl(url);
            return this;
        }

        /** The database's dialect, when it is not to be chosen by the URL or the first connection. */
        public Config dialect(Dialect dialect) {
            this.dialect = Objects.requireNonNull(dialect);
            return this;
        }

        public Config migrations(Path directory) {
            this.migrations = directory;
            return this;
        }

        /**
         * The schema whose tables the migrations change (default {@code public} on PostgreSQL; on MariaDB and MySQL,
         * where a schema is a database, the database the connection's URL names).
         */
        public Config schema(String schema) {
            this.schema = schema;
            return this;
        }

        /** Where Tandem keeps its own state (default {@code tandem}). */
        public Config stateSchema(String stateSchema) {
            this.stateSchema = stateSchema;
            return this;
        }

        /** How long one DDL statement may wait for its lock before giving way and retrying (default 500 ms). */
        public Config lockTimeout(Duration lockTimeout) {
            this.lockTimeout = lockTimeout;
            return this;
        }

        /** The longest a catalog-only DDL statement may run (default 30 s). */
        public Config statementTimeout(Duration statementTimeout) {
            this.statementTimeout = statementTimeout;
            return this;
        }

        /** How long a step keeps retrying for its lock before the command gives up (default 10 min). */
        public Config retryDeadline(Duration retryDeadline) {
            this.retryDeadline = retryDeadline;
            return this;
        }

        /** How long to wait for another Tandem process to release the migration lock (default 10 s). */
        public Config lockWait(Duration lockWait) {
            this.lockWait = lockWait;
            return this;
        }

        /** How long each backfill batch should take; the batch size adapts to it (default 50 ms: see docs/BENCHMARKS.md). */
        public Config targetBatch(Duration targetBatch) {
            if (targetBatch.isZero() || targetBatch.isNegative()) {
                throw new IllegalArgumentException("target batch must be more than 0");
            }
            this.targetBatch = targetBatch;
            return this;
        }

        /**
         * While other sessions keep the database busy, the backfill sleeps this many times each batch's duration after
         * it (default 4: it then runs at most a fifth of the time); on a quiet database it never sleeps. 0: never.
         */
        public Config niceRatio(double niceRatio) {
            if (!(niceRatio >= 0 && niceRatio <= 100)) throw new IllegalArgumentException("nice ratio must be 0..100");
            this.niceRatio = niceRatio;
            return this;
        }

        /**
         * Walk every table by key, never page by page. Pages are faster (they are read in order, as a plain UPDATE
         * reads them), and a page walk relies on every write since expand going through Tandem's sync trigger; a table
         * that also receives writes with triggers off (a logical replication subscriber, session_replication_role =
         * replica) must be walked by key. Partitioned tables and, before PostgreSQL 14, all tables are walked by key anyway.
         */
        public Config byKey(boolean byKey) {
            this.byKey = byKey;
            return this;
        }

        /** Pause the backfill while a replica is further behind than this (default 1 s). */
        public Config maxReplicaLag(Duration maxReplicaLag) {
            this.maxReplicaLag = maxReplicaLag;
            return this;
        }

        /** Replicas whose replay lag the backfill watches; without them, the primary's pg_stat_replication is used. */
        public Config replicas(List<DataSource> replicas) {
            this.replicas = List.copyOf(replicas);
            return this;
        }

        /** A rate limit for the backfill, set when it starts (null: none); change it live with {@link #backfillRate}. */
        public Config maxRowsPerSecond(Integer maxRowsPerSecond) {
            if (maxRowsPerSecond != null && maxRowsPerSecond < 1) {
                throw new TandemException(TandemException.Kind.INVALID_INPUT, "the rate limit must be at least 1 row/s"
                        + " (leave it out for none; to stop a backfill, pause it)");
            }
            this.maxRowsPerSecond = maxRowsPerSecond;
            return this;
        }

        public Config batchSize(int min, int max) {
            if (min < 1 || max < min) throw new IllegalArgumentException("need 1 <= min <= max");
            this.minBatch = min;
            this.maxBatch = max;
            return this;
        }

        public Config listener(TandemListener listener) {
            this.listener = Objects.requireNonNull(listener);
            return this;
        }

        public Tandem load() {
            if (dataSource == null) {
                throw new TandemException(TandemException.Kind.INVALID_INPUT, "no database: give a DataSource or a JDBC URL");
            }
            if (dialect == null) dialect = urlDialect;
            if (dialect == null || schema == null) {
                try (Connection c = dataSource.getConnection()) {
                    if (dialect == null) dialect = Dialects.forConnection(c);
                    if (schema == null) schema = dialect.defaultSchema(c);
                } catch (SQLException e) {
                    throw new TandemException(TandemException.Kind.DATABASE, "database error: " + e.getMessage(), e);
                }
            }
            // Tandem's tables in the managed schema would show in the version schemas' views; in a version schema
            // they would go when it is dropped.
            // (Migration names start with a number, so version schemas are <schema>_<digit>....)
            if (stateSchema.equals(schema) || (stateSchema.startsWith(schema + "_") && stateSchema.length() > schema.length() + 1
                    && Character.isDigit(stateSchema.charAt(schema.length() + 1)))) {
                throw new TandemException(TandemException.Kind.INVALID_INPUT, "the state schema \"" + stateSchema
                        + "\" must be neither the schema the migrations change (\"" + schema + "\") nor one named like its"
                        + " version schemas (\"" + schema + "_<migration>\"); the default is \"tandem\"");
            }
            if (stateSchema.isEmpty()) {
                throw new TandemException(TandemException.Kind.INVALID_INPUT, "the state schema must not be empty");
            }
            return new Tandem(this);
        }
    }

    // ---------------------------------------------------------------- queries

    public Dialect dialect() {
        return dialect;
    }

    public String schema() {
        return config.schema;
    }

    public String stateSchema() {
        return config.stateSchema;
    }

    public List<Migration> migrations() {
        return MigrationReader.readDirectory(config.migrations);
    }

    /** Every migration, from the files and the database, with its phase and backfill progress. */
    public Status status() {
        List<Migration> files = migrations();
        return withConnection(c -> status(c, files));
    }

    private Status status(Connection c, List<Migration> files) throws SQLException {
        Map<String, MigrationState> states = state.all(c);
        List<MigrationStatus> result = new ArrayList<>();
        for (Migration m : files) {
            MigrationState s = states.remove(m.name());
            if (s == null) {
                result.add(new MigrationStatus(m.name(), m.file(), Phase.PENDING, null, false, false, false, List.of(),
                        List.of(), null, null, null, null, null, null));
            } else {
                result.add(status(c, s, m));
            }
        }
        for (MigrationState s : states.values()) result.add(status(c, s, null));
        return new Status(config.schema, result, state.liveInstances(c, HEARTBEAT_FRESH));
    }

    private MigrationStatus status(Connection c, MigrationState s, Migration file) throws SQLException {
        boolean changed = file != null && !file.checksum().equals(s.checksum());
        List<Plan.BackfillTask> tasks = s.planJson() == null ? List.of() : StateStore.planFromJson(s.planJson()).backfill();
        boolean needsBackfill = !tasks.isEmpty();
        return new MigrationStatus(s.name(), file != null ? file.file() : s.file(), s.phase(),
                // A version's schema goes when the next migration is contracted: then nothing can select it.
                s.versionSchema() != null && s.phase() != Phase.ROLLED_BACK && dialect.schemaExists(c, s.versionSchema())
                        ? s.versionSchema() : null, changed, file == null, needsBackfill,
                state.backfills(c, s.name()), tasks, state.activity(c, s.name()).orElse(null), s.startedAt(), s.expandedAt(), s.backfilledAt(), s.completedAt(), s.rolledBackAt());
    }

    /** What the next phase will run, statement by statement. Reads only; changes nothing. */
    public PlanReport plan() {
        return plan(true);
    }

    /**
     * What the next phase will run, statement by statement, changing nothing. With {@code probe}, the migration's raw
     * SQL is run in a transaction that is always rolled back (each statement waiting and running at most 2 s), so the
     * plan sees what it creates and reports the locks it took; without, raw SQL's locks are reported as unknown and
     * what it creates is not seen.
     */
    public PlanReport plan(boolean probe) {
        List<Migration> files = migrations();
        return withConnection(c -> {
            Current cur = current(c, files);
            if (cur == null) return null;
            if (cur.state != null && cur.state.phase().inFlight()) {
                return new PlanReport(cur.migration.name(), cur.state.phase(), StateStore.planFromJson(cur.state.planJson()));
            }
            return new PlanReport(cur.migration.name(), Phase.PENDING, freshPlan(c, cur.migration, files,
                    probe ? PLAN_PROBE_TIMEOUT : null));
        });
    }

    /** A migration's plan with the phase it is in. */
    public record PlanReport(String migration, Phase phase, Plan plan) {
    }

    /**
     * Checks the migration in flight without changing anything: rows not backfilled yet and rows that would break
     * a constraint contract validates, per table, with counts and sample keys. Empty when nothing is in flight.
     */
    public VerifyReport verify() {
        List<Migration> files = migrations();
        return withConnection(c -> {
            Current cur = current(c, files);
            if (cur == null || cur.state == null || !cur.phase().inFlight()) {
                return new VerifyReport(cur == null ? null : cur.migration.name(), List.of());
            }
            Plan plan = StateStore.planFromJson(cur.state.planJson());
            return new VerifyReport(cur.migration.name(),
                    new dev.tandem.engine.Verifier(dialect).verify(c, plan, dialect.readCatalog(c, config.schema)));
        });
    }

    /** What {@link #verify()} found. */
    public record VerifyReport(String migration, List<dev.tandem.engine.Verifier.TableReport> tables) {
        public boolean clean() {
            return tables.stream().allMatch(dev.tandem.engine.Verifier.TableReport::clean);
        }
    }

    /** The live catalog of the managed schema, as Tandem reads it. */
    public Catalog catalog() {
        return withConnection(c -> dialect.readCatalog(c, config.schema));
    }

    // ---------------------------------------------------------------- lifecycle

    /** Expands the next pending migration (or finishes an interrupted expand). */
    public Outcome expand() {
        List<Migration> files = migrations();
        return withLock("expand", c -> {
            Current cur = current(c, files);
            if (cur == null) return new Outcome(null, Phase.COMPLETE, false, "nothing to expand: every migration is complete");
            String name = cur.migration.name();
            Phase phase = cur.phase();
            switch (phase) {
                case EXPANDED, BACKFILLING, BACKFILLED -> {
                    Migration next = nextAfter(files, cur.migration);
                    if (next != null) {
                        throw refused("migration " + name + " is " + phase + " and not yet contracted; run `tandem contract`"
                                + " (or `tandem rollback`) before expanding " + next.name() + ": only one migration is in flight at a time");
                    }
                    return new Outcome(name, phase, false, name + " is already expanded");
                }
                case CONTRACTING -> throw refused("migration " + name + " is being contracted; run `tandem contract` to finish it");
                case ROLLING_BACK -> throw refused("migration " + name + " is being rolled back; run `tandem rollback` to finish it");
                default -> {
                }
            }
            Plan plan;
            int done = 0;
            if (phase == Phase.EXPANDING) {
                plan = StateStore.planFromJson(cur.state.planJson());
                done = cur.state.stepsDone();
                log.info("resuming expand of {} at step {}/{}", name, done + 1, plan.expand().size());
            } else {
                plan = freshPlanForExpand(c, cur.migration, files);
                state.begin(c, name, cur.migration.checksum(), cur.migration.file(), plan);
                state.history(c, name, Phase.EXPANDING.text, "expand started", cur.migration.file());
            }
            int steps = plan.expand().size();
            executor().run(c, name, Phase.EXPANDING, plan.expand(), done, i -> "Expand of " + name + " stopped at step "
                    + (i + 1) + "/" + steps + "; the steps before it are done and the previous version keeps working."
                    + " Fix the cause and run `tandem expand` to go on from this step, or `tandem rollback` to undo"
                    + " what expand did.");
            if (plan.backfill().isEmpty()) publish(c, name, plan, Phase.EXPANDING);
            state.setPhase(c, name, Phase.EXPANDED);
            state.history(c, name, Phase.EXPANDED.text, "expand done", null);
            String irreversible = plan.irreversible().isEmpty() ? "" : ". Note: "
                    + String.join("; ", plan.irreversible().stream().map(Plan.Irreversible::reason).toList());
            String previous = plan.previousVersionSchema() == null ? config.schema : plan.previousVersionSchema();
            return new Outcome(name, Phase.EXPANDED, true, "expanded " + name + (plan.publishedAfterBackfill()
                    ? ": the new version is not ready yet; `tandem backfill` fills the existing rows and then creates its"
                    + " schema " + plan.versionSchema() + ", so that it never reads an incomplete row. The previous version keeps using "
                    + previous
                    : ": the new version uses schema " + plan.versionSchema() + "; the previous version keeps using " + previous)
                    + irreversible);
        });
    }

    /** Fills new and shadow columns of existing rows for the migration in flight. */
    public Outcome backfill() {
        List<Migration> files = migrations();
        return nothingToDoIsFine(() -> withLock("backfill", c -> {
            Current cur = requireInFlight(c, files, "backfill");
            String name = cur.migration.name();
            switch (cur.phase()) {
                case EXPANDED, BACKFILLING -> {
                }
                case BACKFILLED -> {
                    if (!config.byKey) return new Outcome(name, Phase.BACKFILLED, false, name + " is already backfilled");
                }
                case EXPANDING -> throw refused(name + " is not fully expanded; run `tandem expand` first");
                default -> throw refused(name + " is " + cur.phase() + "; there is nothing to backfill");
            }
            Plan plan = StateStore.planFromJson(cur.state.planJson());
            if (cur.phase() == Phase.BACKFILLED) {
                // Rows written with triggers off since (a replica-role load, a subscriber) were never filled: walk
                // every table again, by key, filling only rows not flagged done.
                state.clearBackfills(c, name);
                state.setPhase(c, name, Phase.BACKFILLING);
                state.history(c, name, Phase.BACKFILLING.text, "backfill started again by key", "--by-key after backfilled");
            } else if (cur.phase() == Phase.EXPANDED) {
                state.setPhase(c, name, Phase.BACKFILLING);
                state.history(c, name, Phase.BACKFILLING.text, "backfill started", null);
            }
            if (config.maxRowsPerSecond != null) state.setMaxRowsPerSecond(c, name, config.maxRowsPerSecond);
            // A backfill may outlive its connection (a server restart): it reconnects, and so must the lock.
            try (LockKeeper keeper = new LockKeeper(c)) {
                try {
                    backfiller(keeper).run(plan);
                } catch (RuntimeException e) {
                    try {
                        state.setActivity(autocommit(keeper.connection()), name, "failed", e.getMessage());
                    } catch (SQLException | RuntimeException ignored) {
                        // Report the backfill's own error, not this one.
                    }
                    throw e;
                }
                Connection held = keeper.connection();
                publish(held, name, plan, Phase.BACKFILLING);
                state.setActivity(held, name, "done", null);
                state.setPhase(held, name, Phase.BACKFILLED);
                state.history(held, name, Phase.BACKFILLED.text, "backfill done", null);
            }
            return new Outcome(name, Phase.BACKFILLED, true, plan.backfill().isEmpty() ? name + " has no rows to backfill"
                    : "backfilled " + name);
        }));
    }

    /**
     * Creates the new version's schema, views and grants: the version is ready. Safe to repeat (a run stopped after it
     * and before the phase was recorded does it again); it writes no step checkpoint.
     */
    private void publish(Connection c, String name, Plan plan, Phase phase) throws SQLException {
        if (plan.publish().isEmpty()) return;
        executor().run(c, name, phase, plan.publish(), 0, plan.publish().size(), i -> "Creating the new version's schema "
                + plan.versionSchema() + " failed; nothing of it was created. Fix the cause and run `tandem "
                + (phase == Phase.EXPANDING ? "expand" : "backfill") + "` again, or `tandem rollback`.");
        state.history(c, name, phase.text, "new version ready", "created schema " + plan.versionSchema());
    }

    private static Outcome nothingToDoIsFine(java.util.function.Supplier<Outcome> command) {
        try {
            return command.get();
        } catch (NothingToDo e) {
            return new Outcome(null, Phase.COMPLETE, false, e.getMessage());
        }
    }

    /** Pauses the running backfill of the migration in flight, from any process; it holds before its next batch. */
    public Outcome pauseBackfill() {
        return controlBackfill("pause", "paused", c -> state.setPaused(c, currentName(c), true));
    }

    public Outcome resumeBackfill() {
        return controlBackfill("resume", "resumed", c -> state.setPaused(c, currentName(c), false));
    }

    /** Sets (or with null, lifts) the running backfill's rate limit; it applies from the next batch. */
    public Outcome backfillRate(Integer maxRowsPerSecond) {
        if (maxRowsPerSecond != null && maxRowsPerSecond < 1) {
            throw new TandemException(TandemException.Kind.INVALID_INPUT, "the rate limit must be at least 1 row/s (to stop, pause)");
        }
        return controlBackfill("rate-limit", maxRowsPerSecond == null ? "rate limit lifted" : "rate limited to " + maxRowsPerSecond + " rows/s",
                c -> state.setMaxRowsPerSecond(c, currentName(c), maxRowsPerSecond));
    }

    private interface Control {
        void apply(Connection c) throws SQLException;
    }

    /** Control needs no migration lock: the backfill that holds it reads these settings before every batch. */
    private Outcome controlBackfill(String verb, String what, Control control) {
        List<Migration> files = migrations();
        return withConnection(c -> {
            Current cur;
            try {
                cur = requireInFlight(c, files, "control");
            } catch (NothingToDo e) {
                throw refused("there is no backfill to " + verb + ": every migration is complete");
            }
            control.apply(c);
            state.history(c, cur.migration.name(), cur.phase().text, "backfill " + what, null);
            return new Outcome(cur.migration.name(), cur.phase(), true, "backfill of " + cur.migration.name() + " " + what);
        });
    }

    private String currentName(Connection c) throws SQLException {
        return current(c, migrations()).migration.name();
    }

    private static Connection autocommit(Connection c) throws SQLException {
        if (!c.getAutoCommit()) {
            c.rollback();
            c.setAutoCommit(true);
        }
        return c;
    }

    /** Finishes the migration in flight once no instance of another version is alive (no waiting, no forcing). */
    public Outcome contract() {
        return contract(Duration.ZERO, false);
    }

    /**
     * Finishes the migration in flight: the previous version's columns, triggers and views go. No way back after.
     * Refused while an application instance of any other version is alive (connected as {@code tandem:<version>:…}
     * or heart-beating); {@code waitForOthers} waits for them to go; {@code force} contracts anyway, which is
     * logged in the history.
     */
    public Outcome contract(Duration waitForOthers, boolean force) {
        List<Migration> files = migrations();
        return nothingToDoIsFine(() -> withLock("contract", c -> {
            Current cur = requireInFlight(c, files, "contract");
            String name = cur.migration.name();
            Plan plan = StateStore.planFromJson(cur.state.planJson());
            int done = 0;
            switch (cur.phase()) {
                case BACKFILLED -> {
                }
                case EXPANDED, BACKFILLING -> {
                    if (!plan.backfill().isEmpty() || cur.phase() == Phase.BACKFILLING) {
                        long rows = state.backfills(c, name).stream().mapToLong(b -> b.rowsDone()).sum();
                        throw refused(name + " is not backfilled yet (" + rows + " rows done); run `tandem backfill` first."
                                + " Contract drops what the previous version needs, so it runs only on complete data.");
                    }
                }
                case CONTRACTING -> done = cur.state.stepsDone();
                case EXPANDING -> throw refused(name + " is not fully expanded; run `tandem expand` first");
                default -> throw refused(name + " is " + cur.phase());
            }
            Phase before = cur.phase();
            int enterAt = done;
            if (before != Phase.CONTRACTING) {
                preflight(c, name, before, plan);
                guardOtherVersions(c, name, waitForOthers, force);
                state.history(c, name, Phase.CONTRACTING.text, "contract started", null);
                // The migration is `contracting` only once the first step the previous version cannot survive commits.
                enterAt = plan.pointOfNoReturn();
            }
            int steps = plan.contract().size();
            int noReturn = enterAt;
            executor().run(c, name, Phase.CONTRACTING, plan.contract(), done, enterAt, i -> i <= noReturn && before != Phase.CONTRACTING
                    ? "Nothing either version relies on was changed: " + name + " is still " + before + " and `tandem"
                    + " rollback` is still possible. Fix the cause and run `tandem contract` again."
                    : "Contract of " + name + " is part done: steps 1-" + i + " of " + steps + " are done and the previous"
                    + " version's shape is gone, so rollback is no longer possible; " + (steps - i) + " step(s) remain."
                    + " Fix the cause and run `tandem contract` again to finish from step " + (i + 1) + ".");
            state.setPhase(c, name, Phase.COMPLETE);
            state.history(c, name, Phase.COMPLETE.text, "contract done", null);
            return new Outcome(name, Phase.COMPLETE, true, "contracted " + name + ": the schema now has only the new"
                    + " version's shape; applications use " + plan.versionSchema() + " (or " + config.schema + " directly,"
                    + " where a changed column now comes last in the table's column order)");
        }));
    }

    /** Undoes the expand of the migration in flight; the previous version never notices. Refused after contract. */
    public Outcome rollback() {
        return rollback(false);
    }

    /**
     * Undoes the expand of the migration in flight from the plan stored at its expand, so it works even after the
     * migration's file was edited or removed. Refused after contract, and refused up front when expand ran raw SQL
     * that has no {@code down}, unless {@code leaveRawSql}: then everything else is undone and that SQL's effects stay.
     *
     * @throws TandemException {@link TandemException.Kind#REFUSED} when there is nothing to roll back or it cannot be
     *                         undone; {@link TandemException.Kind#DATABASE} when a step fails (run it again)
     */
    public Outcome rollback(boolean leaveRawSql) {
        return rollback(leaveRawSql, false);
    }

    /**
     * As {@link #rollback(boolean)}; refused while an application instance of the new version is alive (rollback
     * drops the schema it uses), unless {@code force}, which is logged in the history.
     */
    public Outcome rollback(boolean leaveRawSql, boolean force) {
        return withLock("rollback", c -> {
            Map<String, MigrationState> states = state.all(c);
            MigrationState inFlight = states.values().stream().filter(s -> s.phase().inFlight()).findFirst().orElse(null);
            if (inFlight == null) {
                // Run again after it finished (say, killed after its last statement): done is done, as for expand.
                MigrationState rolledBack = states.values().stream().filter(s -> s.phase() == Phase.ROLLED_BACK && s.rolledBackAt() != null)
                        .max(java.util.Comparator.comparing(MigrationState::rolledBackAt)).orElse(null);
                MigrationState last = lastComplete(c, migrations());
                if (rolledBack != null && (last == null || rolledBack.rolledBackAt().isAfter(last.completedAt()))) {
                    return new Outcome(rolledBack.name(), Phase.ROLLED_BACK, false, rolledBack.name() + " is already rolled back");
                }
                if (last != null) {
                    throw refused("nothing to roll back: " + last.name() + " was contracted at " + last.completedAt()
                            + ", which dropped the previous version's columns, triggers and views; write a new migration"
                            + " that reverses it instead");
                }
                throw refused("nothing to roll back: no migration is expanded");
            }
            String name = inFlight.name();
            Phase phase = inFlight.phase();
            if (phase == Phase.CONTRACTING) {
                throw refused(name + " is being contracted and the previous version's shape is already gone;"
                        + " run `tandem contract` to finish it, then write a new migration that reverses it");
            }
            Plan plan = StateStore.planFromJson(inFlight.planJson());
            // Raw SQL without down that expand has already run: undoing the rest would claim a state that is not there.
            List<String> undoable = plan.irreversible().stream()
                    .filter(x -> phase != Phase.EXPANDING || x.expandStep() < inFlight.stepsDone())
                    .map(Plan.Irreversible::reason).toList();
            int done = 0;
            if (phase == Phase.ROLLING_BACK) {
                done = inFlight.stepsDone();
            } else {
                if (!undoable.isEmpty() && !leaveRawSql) {
                    throw refused("cannot roll back " + name + ": " + String.join("; ", undoable) + ". Nothing was"
                            + " changed. Either go forward (`tandem backfill`, then `tandem contract`), or undo that SQL"
                            + " by hand and run `tandem rollback --leave-raw-sql`, which undoes everything else.");
                }
                guardNewVersion(c, name, phase, force);
                List<dev.tandem.engine.ContractPreflight.Problem> yours =
                        new dev.tandem.engine.ContractPreflight(dialect).versionSchema(c, plan.versionSchema());
                if (!yours.isEmpty()) {
                    throw refused("rollback of " + name + " refused before changing anything (" + name + " stays " + phase
                            + "):\n  - " + String.join("\n  - ", yours.stream().map(Object::toString).toList()));
                }
                state.setPhase(c, name, Phase.ROLLING_BACK);
                state.history(c, name, Phase.ROLLING_BACK.text, "rollback started", "from " + phase);
            }
            List<Step> rollbackSteps = leaveRawSql ? plan.rollback().stream().map(s -> s.effect() == Step.Effect.UNKNOWN
                    ? s.leftAsItIs("raw SQL down left undone (--leave-raw-sql)") : s).toList() : plan.rollback();
            int steps = rollbackSteps.size();
            executor().run(c, name, Phase.ROLLING_BACK, rollbackSteps, done, i -> "Rollback of " + name
                    + " stopped at step " + (i + 1) + "/" + steps + "; the steps before it are done. Fix the cause and run"
                    + " `tandem rollback` again to finish it" + (rollbackSteps.get(i).effect() == Step.Effect.UNKNOWN
                    ? ", or run `tandem rollback --leave-raw-sql` to leave this raw SQL's effects as they are" : "") + ".");
            state.setPhase(c, name, Phase.ROLLED_BACK);
            state.history(c, name, Phase.ROLLED_BACK.text, "rollback done", null);
            List<String> left = new ArrayList<>(undoable);
            if (leaveRawSql) {
                rollbackSteps.stream().filter(s -> s.sql().equals("SELECT 1") && s.description().contains("--leave-raw-sql"))
                        .forEach(s -> left.add(s.description()));
            }
            return new Outcome(name, Phase.ROLLED_BACK, true, "rolled back " + name + (left.isEmpty()
                    ? ": the schema is as before its expand"
                    : ": everything expand did is undone except raw SQL, whose effects stay: " + String.join("; ", left)));
        });
    }

    /** Every phase of every pending migration, one after the other: for fresh databases and CI. */
    public List<Outcome> migrate() {
        List<Outcome> outcomes = new ArrayList<>();
        while (true) {
            Status s = status();
            Status.Next next = s.next();
            String current = s.current().map(MigrationStatus::name).orElse(null);
            Outcome o = switch (next) {
                case NOTHING -> null;
                case EXPAND -> expand();
                case BACKFILL -> backfill();
                case CONTRACT -> contract();
                case RESUME -> switch (s.current().orElseThrow().phase()) {
                    case EXPANDING -> expand();
                    case CONTRACTING -> contract();
                    default -> rollback();
                };
                // Says which file and why, as every command does.
                case FIX_FILES -> withConnection(c -> {
                    current(c, migrations());
                    throw new TandemException(TandemException.Kind.INVALID_INPUT, next.text);
                });
            };
            if (o == null) return outcomes;
            outcomes.add(o);
            if (!o.changed()) {
                // Every step above either changes a phase or says why not; a step that did neither would loop.
                throw new TandemException(TandemException.Kind.REFUSED, "migrate cannot make progress on "
                        + (current == null ? "the migrations" : current) + ": " + o.message());
            }
        }
    }

    // ---------------------------------------------------------------- internals

    private record Current(Migration migration, MigrationState state) {
        Phase phase() {
            return state == null ? Phase.PENDING : state.phase();
        }
    }

    /**
     * The first migration that is not complete, after checking that no recorded migration's file changed since
     * its expand and that no new file was slipped in before one already applied.
     */
    private Current current(Connection c, List<Migration> files) throws SQLException {
        Map<String, MigrationState> states = state.all(c);
        List<MigrationException.Problem> problems = new ArrayList<>();
        Current current = null;
        for (Migration m : files) {
            MigrationState s = states.get(m.name());
            if (s != null && s.phase() != Phase.ROLLED_BACK && !s.checksum().equals(m.checksum())) {
                problems.add(new MigrationException.Problem(dev.tandem.migration.SourceLocation.unknown(m.file()),
                        "the file was changed after migration " + m.name() + " was expanded (it is " + s.phase()
                                + " now); " + (s.phase() == Phase.COMPLETE
                                ? "restore it as it was and write a new migration for further changes"
                                : "roll the migration back first (`tandem rollback` undoes what was planned at expand,"
                                + " whatever the file says now), then expand again; or restore the file as it was")));
            }
            Phase phase = s == null ? Phase.PENDING : s.phase();
            if (current == null && phase != Phase.COMPLETE) {
                current = new Current(m, s);
            } else if (current != null && phase != Phase.PENDING && phase != Phase.ROLLED_BACK) {
                problems.add(new MigrationException.Problem(dev.tandem.migration.SourceLocation.unknown(current.migration.file()),
                        "migration " + current.migration.name() + " is " + current.phase() + " but " + m.name()
                                + ", which comes after it, is already " + phase + "; new migrations must come after the last applied one"));
            }
        }
        for (MigrationState s : states.values()) {
            if (files.stream().noneMatch(m -> m.name().equals(s.name())) && s.phase().inFlight()) {
                problems.add(new MigrationException.Problem(dev.tandem.migration.SourceLocation.unknown(config.migrations.toString()),
                        "migration " + s.name() + " is " + s.phase() + " in the database but its file is missing: restore"
                                + " the file, or run `tandem rollback`, which needs only what was recorded at expand"));
            }
        }
        if (!problems.isEmpty()) throw new MigrationException(problems);
        return current;
    }

    /** Refuses, changing nothing, when anything would make contract fail after its point of no return. */
    private void preflight(Connection c, String name, Phase phase, Plan plan) throws SQLException {
        List<dev.tandem.engine.ContractPreflight.Problem> problems = new dev.tandem.engine.ContractPreflight(dialect).check(c, plan);
        if (problems.isEmpty()) return;
        state.history(c, name, phase.text, "contract refused", problems.size() + " problem(s)");
        throw refused("contract of " + name + " refused before changing anything (" + name + " stays " + phase
                + ", and `tandem rollback` is still possible):\n  - "
                + String.join("\n  - ", problems.stream().map(Object::toString).toList()));
    }

    /** Rollback breaks the new version: verify, do not assume, that none of its instances still runs. */
    private void guardNewVersion(Connection c, String version, Phase phase, boolean force) throws SQLException {
        List<StateStore.Instance> running = state.liveInstances(c, HEARTBEAT_FRESH).stream()
                .filter(i -> i.version().equals(version)).toList();
        if (running.isEmpty()) return;
        String names = String.join(", ", running.stream().map(i -> i.id() + (i.host() != null ? " (" + i.host() + ")" : "")).toList());
        if (force) {
            state.history(c, version, phase.text, "rollback forced", "live instances of version " + version + ": " + names);
            config.listener.message("WARNING: rolling back although these instances of version " + version + " are alive: " + names);
            return;
        }
        throw refused("rollback of " + version + " refused before changing anything: instances of version " + version
                + " are still running: " + names + ". Roll them back to the previous version first (rollback drops the"
                + " schema they use), or override with --force.");
    }

    /** Contract breaks every version but the new one: verify, do not assume, that none of them still runs. */
    private void guardOtherVersions(Connection c, String version, Duration wait, boolean force) throws SQLException {
        long deadline = System.nanoTime() + wait.toNanos();
        while (true) {
            List<StateStore.Instance> others = state.liveInstances(c, HEARTBEAT_FRESH).stream()
                    .filter(i -> !i.version().equals(version)).toList();
            if (others.isEmpty()) return;
            String names = String.join(", ", others.stream().map(i -> i.id() + " (version " + i.version()
                    + (i.host() != null ? ", " + i.host() : "") + ")").toList());
            if (force) {
                log.warn("contract of {} forced while these instances of other versions are alive: {}", version, names);
                state.history(c, version, Phase.CONTRACTING.text, "contract forced", "live instances of other versions: " + names);
                config.listener.message("WARNING: contracting although these instances of other versions are alive: " + names);
                return;
            }
            if (System.nanoTime() >= deadline) {
                throw refused("contract of " + version + " refused: instances of other versions are still running: " + names
                        + ". Upgrade or stop them first (contract removes what they use), wait with --wait, or override with --force.");
            }
            config.listener.message("waiting for instances of other versions to go: " + names);
            try {
                Thread.sleep(1000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw refused("interrupted while waiting for other versions to go");
            }
        }
    }

    private Current requireInFlight(Connection c, List<Migration> files, String command) throws SQLException {
        Current cur = current(c, files);
        if (cur == null) throw new NothingToDo("nothing to " + command + ": every migration is complete");
        if (cur.phase() == Phase.PENDING || cur.phase() == Phase.ROLLED_BACK) {
            throw refused("nothing to " + command + ": " + cur.migration.name() + " is " + cur.phase() + "; run `tandem expand` first");
        }
        return cur;
    }

    private MigrationState lastComplete(Connection c, List<Migration> files) throws SQLException {
        Map<String, MigrationState> states = state.all(c);
        MigrationState last = null;
        for (Migration m : files) {
            MigrationState s = states.get(m.name());
            if (s != null && s.phase() == Phase.COMPLETE) last = s;
        }
        return last;
    }

    private static Migration nextAfter(List<Migration> files, Migration m) {
        int i = files.indexOf(m);
        return i + 1 < files.size() ? files.get(i + 1) : null;
    }

    /** How long each raw SQL statement may wait or run when {@code plan} tries it (expand allows the statement timeout). */
    private static final Duration PLAN_PROBE_TIMEOUT = Duration.ofSeconds(2);

    /**
     * Plans a migration against the live catalog, all in one transaction that is always rolled back: the migration's
     * raw SQL runs first, in order (so the plan sees what it creates, and its locks are measured), then the catalog
     * is read and the plan made, then the file's SQL expressions and the drops contract will make are checked.
     *
     * @param probeTimeout how long each raw SQL statement may take; null: do not run raw SQL (its locks unknown)
     */
    private Plan freshPlan(Connection c, Migration m, List<Migration> files, Duration probeTimeout) throws SQLException {
        boolean auto = c.getAutoCommit();
        c.setAutoCommit(false);
        try {
            boolean rawSql = m.operations().stream().anyMatch(o -> o instanceof dev.tandem.migration.Operation.RawSql);
            // Only raw SQL can create tables before the plan's own catalog read: without it, that read says it all.
            java.util.Set<String> before = rawSql ? java.util.Set.copyOf(dialect.readCatalog(c, config.schema).tables().keySet()) : null;
            Map<dev.tandem.migration.Operation.RawSql, dev.tandem.engine.RawSqlProbe.Result> probes = probeTimeout == null
                    ? Map.of() : new dev.tandem.engine.RawSqlProbe(dialect, probeTimeout).run(c, m);
            dialect.setTransactionTimeouts(c, config.lockTimeout, config.statementTimeout);
            // Without the probe, what raw SQL creates is not there: the expressions that use it cannot be checked.
            boolean check = probeTimeout != null || !rawSql;
            Plan plan = planAndCheck(c, m, files, probes, before, check);
            List<MigrationException.Problem> blocked = new ArrayList<>();
            for (var p : new dev.tandem.engine.ContractPreflight(dialect).blockedDrops(c, plan)) {
                blocked.add(new MigrationException.Problem(p.at() != null ? p.at()
                        : dev.tandem.migration.SourceLocation.unknown(m.file()), p.toString()));
            }
            if (!blocked.isEmpty()) throw new MigrationException(blocked);
            return plan;
        } finally {
            c.rollback();
            c.setAutoCommit(auto);
        }
    }

    /** The expand-time plan: raw SQL is tried with the statement timeout, and waits for its locks are retried. */
    private Plan freshPlanForExpand(Connection c, Migration m, List<Migration> files) throws SQLException {
        for (int attempt = 1; ; attempt++) {
            Plan plan = freshPlan(c, m, files, config.statementTimeout);
            List<String> unknown = plan.expand().stream().filter(s -> !s.locks().known()
                    && s.locks().reason().startsWith(dev.tandem.engine.RawSqlProbe.TIMED_OUT)).map(Step::description).toList();
            if (unknown.isEmpty()) return plan;
            if (attempt == 5) {
                throw new TandemException(TandemException.Kind.DATABASE, "expand of " + m.name() + " did not start: "
                        + String.join(", ", unknown) + " could not finish within " + config.statementTimeout.toMillis()
                        + " ms in 5 tries (it waits for a lock a long transaction holds, or runs longer than"
                        + " --statement-timeout). Nothing was changed; run `tandem expand` again later.");
            }
            sleepQuietly(dev.tandem.engine.Executor.backoff(attempt));
        }
    }

    private static void sleepQuietly(Duration d) {
        try {
            Thread.sleep(d.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new TandemException(TandemException.Kind.DATABASE, "interrupted");
        }
    }

    private Plan planAndCheck(Connection c, Migration m, List<Migration> files,
                              Map<dev.tandem.migration.Operation.RawSql, dev.tandem.engine.RawSqlProbe.Result> probes,
                              java.util.Set<String> tablesBefore, boolean check) throws SQLException {
        Catalog catalog = dialect.readCatalog(c, config.schema);
        String previous = null;
        Map<String, MigrationState> states = state.all(c);
        for (Migration f : files) {
            if (f == m) break;
            MigrationState s = states.get(f.name());
            if (s != null && s.phase() == Phase.COMPLETE && s.versionSchema() != null && dialect.schemaExists(c, s.versionSchema())) {
                previous = s.versionSchema();
            }
        }
        Planner.Result result = new Planner(dialect, config.stateSchema).plan(m, catalog, previous, probes,
                tablesBefore != null ? tablesBefore : catalog.tables().keySet());
        if (check) runChecks(c, result.checks(), result.indexChecks());
        return result.plan();
    }

    /**
     * Checks the file's SQL expressions, each on its own (a failed one leaves the transaction usable for the next).
     * Each type is checked once, where it first appears; an expression over a type that does not exist is not checked,
     * so one wrong type is one problem, not one per expression that reads the column.
     */
    private void runChecks(Connection c, List<PlanContext.ExpressionCheck> checks, List<PlanContext.IndexCheck> indexChecks)
            throws SQLException {
        List<MigrationException.Problem> problems = new ArrayList<>();
        Map<String, Boolean> typeExists = new java.util.HashMap<>();
        for (PlanContext.ExpressionCheck check : checks) {
            List<String> types = new ArrayList<>(check.rowTypes().values());
            if (check.targetType() != null) types.add(0, check.targetType());
            boolean typesOk = true;
            for (String type : types) {
                if (!typeExists.containsKey(type)) {
                    java.sql.Savepoint sp = c.setSavepoint();
                    try {
                        dialect.checkType(c, type);
                        c.releaseSavepoint(sp);
                        typeExists.put(type, true);
                    } catch (SQLException e) {
                        c.rollback(sp);
                        typeExists.put(type, false);
                        problems.add(new MigrationException.Problem(check.location(), check.what() + ": type " + type
                                + " is not valid: " + firstLine(dialect.describeError(e))));
                    }
                }
                typesOk &= typeExists.get(type);
            }
            if (!typesOk) continue;
            java.sql.Savepoint sp = c.setSavepoint();
            try {
                dialect.checkExpression(c, check.expression(), check.rowTypes(), check.targetType());
                c.releaseSavepoint(sp);
            } catch (SQLException e) {
                c.rollback(sp);
                problems.add(new MigrationException.Problem(check.location(), check.what() + " `" + check.expression()
                        + "` is not valid" + (check.targetType() != null ? " for type " + check.targetType() : "")
                        + ": " + firstLine(dialect.describeError(e))));
            }
        }
        // Only once every expression is known to be good: an index over a bad one would only say so again.
        if (problems.isEmpty()) {
            for (PlanContext.IndexCheck check : indexChecks) {
                java.sql.Savepoint sp = c.setSavepoint();
                try {
                    dialect.checkIndex(c, config.schema, check.table(), check.addedColumns(), check.shape(), check.unique());
                    c.releaseSavepoint(sp);
                } catch (SQLException e) {
                    c.rollback(sp);
                    problems.add(new MigrationException.Problem(check.location(), check.what() + ": "
                            + firstLine(dialect.describeError(e)) + "; " + check.todo()));
                }
            }
        }
        if (!problems.isEmpty()) throw new MigrationException(problems);
    }

    private static String firstLine(String message) {
        if (message == null) return "unknown error";
        int nl = message.indexOf('\n');
        return nl < 0 ? message : message.substring(0, nl);
    }

    private Executor executor() {
        return new Executor(dialect, state, new Executor.Settings(config.lockTimeout, config.statementTimeout,
                config.retryDeadline), config.listener);
    }

    /**
     * The connection that holds the migration lock. If the server restarted under it, it takes the lock again on
     * a new connection, or fails if another Tandem process took it meanwhile.
     */
    private final class LockKeeper implements AutoCloseable {
        private final Connection original;
        private Connection current;

        LockKeeper(Connection original) {
            this.original = original;
            this.current = original;
        }

        Connection connection() throws SQLException {
            if (current.isClosed() || !current.isValid(2)) {
                if (current != original) closeQuietly(current);
                // Kept only once it holds the lock: a connection without it must never be handed out.
                Connection fresh = connect();
                try {
                    dialect.setApplicationName(fresh, Names.toolApplicationName("backfill"));
                    MigrationLock.acquire(dialect, fresh, lockKey(), config.lockWait, config.listener::message);
                } catch (RuntimeException | SQLException e) {
                    closeQuietly(fresh);
                    throw e;
                }
                current = fresh;
                log.info("took the migration lock again on a new connection");
            }
            return current;
        }

        @Override
        public void close() {
            if (current != original) closeQuietly(current);
        }
    }

    private static void closeQuietly(Connection c) {
        try {
            c.close();
        } catch (SQLException ignored) {
            // Already gone.
        }
    }

    private String lockKey() {
        return "tandem:" + config.stateSchema + ":" + config.schema;
    }

    private Backfiller backfiller(LockKeeper keeper) {
        return new Backfiller(dialect, state, new Backfiller.Settings(config.targetBatch, config.minBatch, config.maxBatch,
                Duration.ofSeconds(60), config.retryDeadline, config.maxReplicaLag, config.replicas, config.niceRatio, config.byKey), config.listener, () -> {
            try {
                return connect();
            } catch (SQLException e) {
                throw new TandemException(TandemException.Kind.DATABASE, e.getMessage(), e);
            }
        }, keeper::connection);
    }

    /** Running a phase again when everything is complete is not an error: scripts may repeat themselves. */
    private static final class NothingToDo extends RuntimeException {
        NothingToDo(String message) {
            super(message, null, false, false);
        }
    }

    private static TandemException refused(String message) {
        return new TandemException(TandemException.Kind.REFUSED, message);
    }

    @FunctionalInterface
    private interface Work<T> {
        T run(Connection c) throws SQLException;
    }

    private Connection connect() throws SQLException {
        Connection c = config.dataSource.getConnection();
        c.setAutoCommit(true);
        dialect.setApplicationName(c, Names.TOOL_APPLICATION_NAME);
        return c;
    }

    private <T> T withConnection(Work<T> work) {
        try (Connection c = connect()) {
            return work.run(c);
        } catch (SQLException e) {
            throw new TandemException(TandemException.Kind.DATABASE, "database error: " + e.getMessage(), e);
        }
    }

    /**
     * Runs changing work under the migration lock, with the state tables in place. The connection is named after
     * the command, this process and its host: who waits for the lock is told who holds it.
     */
    private <T> T withLock(String command, Work<T> work) {
        return withConnection(c -> {
            dialect.setApplicationName(c, Names.toolApplicationName(command));
            try (MigrationLock lock = MigrationLock.acquire(dialect, c, lockKey(), config.lockWait, config.listener::message)) {
                state.install(c);
                return work.run(c);
            }
        });
    }
}
