package dev.tandem;

import dev.tandem.catalog.Catalog;
import dev.tandem.dialect.Dialect;
import dev.tandem.dialect.Dialects;
import dev.tandem.engine.Backfiller;
import dev.tandem.engine.Executor;
import dev.tandem.engine.LockHolders;
import dev.tandem.engine.Plan;
import dev.tandem.engine.Verifier;
import dev.tandem.engine.lifecycle.BackfillCommand;
import dev.tandem.engine.lifecycle.BackfillControl;
import dev.tandem.engine.lifecycle.ContractCommand;
import dev.tandem.engine.lifecycle.ServerGate;
import dev.tandem.engine.lifecycle.CurrentMigration;
import dev.tandem.engine.lifecycle.Database;
import dev.tandem.engine.lifecycle.ExpandCommand;
import dev.tandem.engine.lifecycle.FreshPlan;
import dev.tandem.engine.lifecycle.MigrationFiles;
import dev.tandem.engine.lifecycle.MigrationSession;
import dev.tandem.engine.lifecycle.NothingToDo;
import dev.tandem.engine.lifecycle.RollbackCommand;
import dev.tandem.engine.lifecycle.StatusReader;
import dev.tandem.engine.lifecycle.VersionGuard;
import dev.tandem.migration.Migration;
import dev.tandem.state.Phase;
import dev.tandem.state.StateStore;

import javax.sql.DataSource;
import java.sql.Connection;
import java.sql.SQLException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
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
    private final Config config;
    private final Dialect dialect;
    private final Database database;
    private final MigrationSession session;
    private final MigrationFiles migrationFiles;
    private final FreshPlan freshPlan;
    private final StatusReader statusReader;
    private final ExpandCommand expand;
    private final BackfillCommand backfill;
    private final BackfillControl backfillControl;
    private final ContractCommand contract;
    private final RollbackCommand rollback;

    /** Builds the engine once, from the configuration as it is at {@link Config#load()}. */
    private Tandem(Config config) {
        this.config = config;
        this.dialect = config.dialect;
        StateStore state = dialect.stateStore(config.stateSchema, config.schema);
        this.database = new Database(config.dataSource, dialect);
        this.session = new MigrationSession(database, dialect, state, config.stateSchema, config.schema, config.lockWait,
                config.listener);
        this.migrationFiles = new MigrationFiles(config.migrations, state);
        this.freshPlan = new FreshPlan(dialect, state, database, config.schema, config.stateSchema, config.lockTimeout,
                config.statementTimeout, config.newVersionLogins);
        VersionGuard versionGuard = new VersionGuard(state, config.listener);
        Executor executor = new Executor(dialect, state, new Executor.Settings(config.lockTimeout, config.statementTimeout,
                config.retryDeadline), config.listener, database::connect);
        Backfiller.Settings backfillSettings = new Backfiller.Settings(config.targetBatch, config.minBatch, config.maxBatch,
                Duration.ofSeconds(60), config.retryDeadline, config.maxReplicaLag, config.replicas, config.niceRatio,
                config.byKey, config.workers);
        this.statusReader = new StatusReader(dialect, state, versionGuard, config.schema, session.lockKey());
        ServerGate serverGate = new ServerGate(dialect, config.stateSchema);
        this.expand = new ExpandCommand(dialect, state, migrationFiles, freshPlan, executor, config.schema);
        this.backfill = new BackfillCommand(dialect, state, migrationFiles, session, database, executor, backfillSettings,
                config.maxRowsPerSecond, config.listener, serverGate);
        this.backfillControl = new BackfillControl(state, migrationFiles, new LockHolders(dialect, state),
                session.lockKey());
        this.contract = new ContractCommand(dialect, state, migrationFiles, executor, versionGuard, config.schema, serverGate);
        this.rollback = new RollbackCommand(dialect, state, migrationFiles, executor, versionGuard, serverGate);
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
        private int workers = 1;
        private List<String> newVersionLogins = List.of();
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

        /**
         * How many key ranges a backfill fills at once, each in its own transaction on a connection of its own
         * (default 1). Only a walk by key: MariaDB and MySQL always; PostgreSQL with {@link #byKey} and for partitioned
         * tables (a page walk stays one worker). Each worker takes a CPU and its share of the disk from the
         * applications while it runs, and the database must allow that many more connections; the nice ratio's sleep
         * follows each step of all of them (docs/BENCHMARKS.md has what two workers did on MariaDB).
         *
         * @throws IllegalArgumentException outside 1..16
         */
        public Config workers(int workers) {
            if (workers < 1 || workers > 16) throw new IllegalArgumentException("workers must be 1..16");
            this.workers = workers;
            return this;
        }

        /**
         * Logins whose sessions are the new version's without setting {@code @tandem_version} (MariaDB; README,
         * "MariaDB", writer identity): for pools that reset session variables, or a login per release. Applies to a
         * migration's expand, which keeps it in the migration's stored plan, so later and resumed commands use the same.
         * A session that sets {@code @tandem_version} is the version it names, whatever its login.
         *
         * @param logins user names alone, without host; none (the default): sessions say their version
         * @see dev.tandem.dialect.Dialect#newVersionLoginsRefused why a plan refuses them (PostgreSQL, a bad name)
         */
        public Config newVersionLogins(String... logins) {
            this.newVersionLogins = List.of(logins);
            return this;
        }

        /** Pause the backfill while a replica is further behind than this (default 1 s). */
        public Config maxReplicaLag(Duration maxReplicaLag) {
            this.maxReplicaLag = maxReplicaLag;
            return this;
        }

        /**
         * Replicas whose lag the backfill watches, each logged in as its DataSource says; without them, the primary's
         * pg_stat_replication is used (PostgreSQL; a MariaDB or MySQL primary knows no replica's lag, so there they
         * must be named). On MariaDB and MySQL the login needs only SELECT on the state database: the backfill writes
         * a heartbeat row there on the primary and reads it on each replica (README, "MariaDB").
         */
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
        return migrationFiles.read();
    }

    /** Every migration, from the files and the database, with its phase and backfill progress. */
    public Status status() {
        List<Migration> files = migrations();
        return database.withConnection(c -> statusReader.read(c, files));
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
        return database.withConnection(c -> {
            CurrentMigration cur = migrationFiles.current(c, files);
            if (cur == null) return null;
            if (cur.state() != null && cur.state().phase().inFlight()) {
                return new PlanReport(cur.name(), cur.state().phase(), StateStore.planFromJson(cur.state().planJson()));
            }
            return new PlanReport(cur.name(), Phase.PENDING, freshPlan.forPlan(c, cur.migration(), files, probe));
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
        return database.withConnection(c -> {
            CurrentMigration cur = migrationFiles.current(c, files);
            if (cur == null || cur.state() == null || !cur.phase().inFlight()) {
                return new VerifyReport(cur == null ? null : cur.name(), List.of());
            }
            Plan plan = StateStore.planFromJson(cur.state().planJson());
            return new VerifyReport(cur.name(),
                    new Verifier(dialect).verify(c, plan, dialect.readCatalog(c, config.schema)));
        });
    }

    /** What {@link #verify()} found. */
    public record VerifyReport(String migration, List<Verifier.TableReport> tables) {
        public boolean clean() {
            return tables.stream().allMatch(Verifier.TableReport::clean);
        }
    }

    /** The live catalog of the managed schema, as Tandem reads it. */
    public Catalog catalog() {
        return database.withConnection(c -> dialect.readCatalog(c, config.schema));
    }

    // ---------------------------------------------------------------- lifecycle

    /** Expands the next pending migration (or finishes an interrupted expand). */
    public Outcome expand() {
        List<Migration> files = migrations();
        return session.withLock("expand", c -> expand.run(c, files));
    }

    /** Fills new and shadow columns of existing rows for the migration in flight. */
    public Outcome backfill() {
        List<Migration> files = migrations();
        return NothingToDo.isFine(() -> session.withLock("backfill", c -> backfill.run(c, files)));
    }

    /** Pauses the running backfill of the migration in flight, from any process; it holds before its next batch. */
    public Outcome pauseBackfill() {
        List<Migration> files = migrations();
        return database.withConnection(c -> backfillControl.pause(c, files));
    }

    public Outcome resumeBackfill() {
        List<Migration> files = migrations();
        return database.withConnection(c -> backfillControl.resume(c, files));
    }

    /** Sets (or with null, lifts) the running backfill's rate limit; it applies from the next batch. */
    public Outcome backfillRate(Integer maxRowsPerSecond) {
        if (maxRowsPerSecond != null && maxRowsPerSecond < 1) {
            throw new TandemException(TandemException.Kind.INVALID_INPUT, "the rate limit must be at least 1 row/s (to stop, pause)");
        }
        List<Migration> files = migrations();
        return database.withConnection(c -> backfillControl.rate(c, files, maxRowsPerSecond));
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
        return contract(waitForOthers, force, IgnoredSessions.NONE);
    }

    /**
     * As {@link #contract(Duration, boolean)}, leaving {@code ignored} out of the guard: sessions no version can be
     * told from (on MariaDB, those with no default database), each recorded in the history; every other check runs.
     */
    public Outcome contract(Duration waitForOthers, boolean force, IgnoredSessions ignored) {
        List<Migration> files = migrations();
        return NothingToDo.isFine(() -> session.withLock("contract", c -> contract.run(c, files, waitForOthers, force, ignored)));
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
        return rollback(leaveRawSql, force, IgnoredSessions.NONE);
    }

    /** As {@link #rollback(boolean, boolean)}, leaving {@code ignored} out of the guard (see {@link IgnoredSessions}). */
    public Outcome rollback(boolean leaveRawSql, boolean force, IgnoredSessions ignored) {
        return session.withLock("rollback", c -> rollback.run(c, leaveRawSql, force, ignored));
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
                // Another process's command: this one waits for the migration lock, then resumes or finds it done.
                case RESUME, RUNNING -> switch (s.current().orElseThrow().phase()) {
                    case EXPANDING -> expand();
                    // Another process's backfill (RUNNING): wait for it, then carry on (or find it done).
                    case EXPANDED, BACKFILLING -> backfill();
                    case CONTRACTING -> contract();
                    default -> rollback();
                };
                // Says which file and why, as every command does.
                case FIX_FILES -> database.withConnection(c -> {
                    migrationFiles.current(c, migrations());
                    throw new TandemException(TandemException.Kind.INVALID_INPUT, next.text);
                });
            };
            if (o == null) return outcomes;
            outcomes.add(o);
            if (!o.changed() && next != Status.Next.RUNNING) {
                // Every step above either changes a phase or says why not; a step that did neither would loop. After
                // waiting for another process's command, finding its work done is progress: that command made it.
                throw new TandemException(TandemException.Kind.REFUSED, "migrate cannot make progress on "
                        + (current == null ? "the migrations" : current) + ": " + o.message());
            }
        }
    }
}
