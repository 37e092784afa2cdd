package dev.tandem.state;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tandem.TandemException;
import dev.tandem.engine.Plan;

import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Tandem's own tables, in the state schema (a database of its own on MariaDB and MySQL): one row per migration (phase,
 * checksum, the plan, how many steps of the current phase are done), backfill checkpoints, the application instances'
 * heartbeats, and a history of every step. Everything Tandem needs to carry on after a crash is here, never only in
 * memory. Each dialect stores these rows in its own SQL ({@link dev.tandem.dialect.Dialect#stateStore}); the engine
 * sees only this interface. Every method throws {@link SQLException} when the database refuses or the connection is
 * lost; none retries.
 */
public interface StateStore {

    /** The schema (or database) that holds the state tables. */
    String stateSchema();

    /** The schema (or database) whose migrations this state is of. */
    String schema();

    /** Creates the state schema and tables if they are missing; safe to run any number of times. */
    void install(Connection c) throws SQLException;

    /** Whether the state tables exist; read-only commands treat a database without them as having no history. */
    boolean installed(Connection c) throws SQLException;

    /**
     * What {@link #heartbeat} needs: the state schema and its instances table, and nothing else of Tandem's state, so
     * that an application may start before Tandem ever ran. Creating what exists takes no lock on it.
     */
    void installHeartbeat(Connection c) throws SQLException;

    /** An application instance says it is alive and which version it runs; see {@link #installHeartbeat}. */
    void heartbeat(Connection c, String instanceId, String version, String host, long pid) throws SQLException;

    /** Removes this version's row of the instance only: the same id may be running the other version still. */
    void removeInstance(Connection c, String instanceId, String version) throws SQLException;

    /**
     * Application instances that are alive: those with open connections whose session name says
     * {@code tandem:<version>:<instance>}, and those whose heartbeat is younger than {@code fresh}.
     */
    List<Instance> liveInstances(Connection c, Duration fresh) throws SQLException;

    /**
     * Why this login cannot see every application session the guard must count, with what to grant; empty when it
     * can. Contract and rollback refuse while it cannot, unless forced ("verified, not assumed").
     */
    default java.util.Optional<String> unseenSessions(Connection c) throws SQLException {
        return java.util.Optional.empty();
    }

    /**
     * Client sessions the guard can attribute to no version but that may use the tables (on MariaDB: those with no
     * default database, which reach the tables by qualified names); empty where every session has a version. Contract
     * and rollback refuse while one is connected, unless it is ignored ({@link dev.tandem.IgnoredSessions}) or forced.
     */
    default List<UnattributedSession> unattributedSessions(Connection c) throws SQLException {
        return List.of();
    }

    /**
     * A session of the server that no version can be told from.
     *
     * @param id          the server's connection id ({@code KILL CONNECTION id} ends it)
     * @param idleSeconds how long it has been in its current state, in seconds: idle when {@code busy} is false
     */
    record UnattributedSession(long id, String user, String host, long idleSeconds, boolean busy) {
        /** {@code connection 42 of 'app'@10.0.0.7 with no default database, idle 12 s}. */
        public String describe() {
            return "connection " + id + " of '" + user + "'@" + host + " with no default database, "
                    + (busy ? "running a statement for " : "idle ") + idleSeconds + " s";
        }
    }

    /**
     * An application instance: from the server's session list (connections) and/or its heartbeat row.
     *
     * @param sessions the server's sessions counted for it without a name, as an operator finds and ends them
     *                 ({@code connection 42 of 'app'@10.0.0.7 in `app`}); null when none
     */
    record Instance(String id, String version, String host, Instant lastSeen, int connections, boolean heartbeat,
                    String sessions) {
        public Instance(String id, String version, String host, Instant lastSeen, int connections, boolean heartbeat) {
            this(id, version, host, lastSeen, connections, heartbeat, null);
        }

        /** The same instance and version seen from another client address: its connections add up. */
        public Instance plus(Instance other) {
            Instant later = lastSeen == null || (other.lastSeen != null && other.lastSeen.isAfter(lastSeen)) ? other.lastSeen : lastSeen;
            return new Instance(id, version, host.equals(other.host) ? host : host + ", " + other.host, later,
                    connections + other.connections, heartbeat || other.heartbeat, joined(sessions, other.sessions));
        }

        /** This instance with unnamed sessions of the server counted for it too. */
        public Instance withSessions(int more, String described) {
            return new Instance(id, version, host, lastSeen, connections + more, heartbeat, joined(sessions, described));
        }

        private static String joined(String a, String b) {
            return a == null ? b : b == null ? a : a + "; " + b;
        }
    }

    /**
     * The Tandem command that took this schema's migration lock last: the server's id of its session
     * ({@link dev.tandem.dialect.Dialect#sessionId}), the command with its process and host
     * ({@code tandem backfill pid 4242 on db-admin-1}), and when. A record names a holder only while its session holds
     * the lock: the caller matches it to the holders the database reports, so a record left by a process that died
     * never names anyone.
     */
    record LockHolderRecord(long sessionId, String command, Instant takenAt) {
    }

    /**
     * Records that the session {@code sessionId} has just taken the migration lock for {@code command}, replacing the
     * previous record; call on the session that holds it. Where the server cannot show a session's name (MariaDB
     * without the Performance Schema) this is what tells Tandem's own command apart from any other session.
     */
    void recordLockHolder(Connection c, long sessionId, String command) throws SQLException;

    /** The latest {@link LockHolderRecord}, or empty when none was ever written (or the state is not installed). */
    Optional<LockHolderRecord> lockHolder(Connection c) throws SQLException;

    /** Every migration of the schema, by name, in name order; empty when the state is not installed. */
    Map<String, MigrationState> all(Connection c) throws SQLException;

    default Optional<MigrationState> get(Connection c, String name) throws SQLException {
        return Optional.ofNullable(all(c).get(name));
    }

    /**
     * Records that a migration's expand starts with this plan (or starts again after a rollback), and forgets the
     * checkpoints of any earlier backfill of it, in one transaction.
     */
    void begin(Connection c, String name, String checksum, String file, Plan plan) throws SQLException;

    /** Forgets a migration's backfill checkpoints, so that its next backfill walks every table from the start. */
    void clearBackfills(Connection c, String migration) throws SQLException;

    /** Moves a migration to a phase; the timestamp that goes with the phase is set, a rollback clears backfill control. */
    void setPhase(Connection c, String name, Phase phase) throws SQLException;

    /** The checkpoint of a phase: how many of its steps are done. Written in the step's own transaction where it has one. */
    void setStepsDone(Connection c, String name, int done) throws SQLException;

    void history(Connection c, String migration, String phase, String event, String detail) throws SQLException;

    /** The migration's latest history line ({@code event: detail}) and when, or empty; for status to say what a running command last did. */
    Optional<String> lastEvent(Connection c, String migration) throws SQLException;

    /** What another terminal asked of a backfill: pause, and a rate limit in rows per second (null: none). */
    record BackfillControl(boolean paused, Integer maxRowsPerSecond) {
    }

    /**
     * What a backfill is doing now, and why, as {@code status} shows it from anywhere: running, paused, throttled, done,
     * failed, or {@value #INTERRUPTED} when it said it was running but its process stopped beating.
     */
    record BackfillActivity(String status, String reason, Instant seenAt, boolean paused, Integer maxRowsPerSecond) {
        /** What only a backfill whose process is alive can be doing; the others (done, failed) stay true after it ends. */
        private static final java.util.Set<String> LIVE_STATES = java.util.Set.of("running", "paused", "throttled");

        /**
         * The activity as stored, unless it says live while the beat is stale ({@code fresh} false): then the process
         * is gone, and the activity is {@value StateStore#INTERRUPTED}, with the command that resumes it.
         */
        public static BackfillActivity asSeen(String status, String reason, Instant seenAt, boolean paused,
                                              Integer maxRowsPerSecond, boolean fresh) {
            if (status != null && LIVE_STATES.contains(status) && !fresh) {
                status = INTERRUPTED;
                reason = "run tandem backfill to resume" + (paused
                        ? " (it is paused: it will hold until `tandem backfill --resume`)" : "");
            }
            return new BackfillActivity(status, reason, seenAt, paused, maxRowsPerSecond);
        }

        /**
         * The activity when no Tandem command holds the migration lock, which a running backfill holds all along: a live
         * state is then over, however fresh its last beat (a process killed a moment ago).
         */
        public BackfillActivity withoutProcess() {
            return asSeen(status, reason, seenAt, paused, maxRowsPerSecond, false);
        }
    }

    /**
     * A running backfill beats every 2 s (engine.BackfillHeartbeat); one not seen for this long is no longer running,
     * whatever it last said: its process was killed or lost the database for good.
     */
    Duration BACKFILL_STALE = Duration.ofSeconds(10);
    String INTERRUPTED = "interrupted";

    BackfillControl control(Connection c, String migration) throws SQLException;

    /** Staleness is judged by the database's clock, which also stamped the beats: no skew between hosts. */
    Optional<BackfillActivity> activity(Connection c, String migration) throws SQLException;

    /** The running backfill's heartbeat: its process is alive. See {@link #BACKFILL_STALE}. */
    void beat(Connection c, String migration) throws SQLException;

    void setPaused(Connection c, String migration, boolean paused) throws SQLException;

    void setMaxRowsPerSecond(Connection c, String migration, Integer rate) throws SQLException;

    /** Records what the backfill is doing (running, paused, throttled, done, failed) and why. */
    void setActivity(Connection c, String migration, String status, String reason) throws SQLException;

    List<BackfillState> backfills(Connection c, String migration) throws SQLException;

    /** Records where a table's backfill stops; {@code upper} null: the table is empty, nothing to do. */
    void startBackfill(Connection c, String migration, String tableName, BackfillState.Walk walk, List<String> upper,
                       long total) throws SQLException;

    /**
     * Starts a table's walk over, by key, from the first row: its pages were renumbered under a page walk, or a
     * page walk is to go on by key. Rows already filled are skipped by their done flag (reads, not writes); the
     * count starts again with the walk, so progress does not reach 100% before the walk does.
     */
    void walkByKeyFromStart(Connection c, String migration, String tableName, List<String> upperKey) throws SQLException;

    /** Written in the same transaction as the batch it records, so a checkpoint never runs ahead of the data. */
    void checkpoint(Connection c, String migration, String tableName, List<String> lastKey, long rows, long total,
                    boolean done, int batchSize) throws SQLException;

    /** The plan as it is stored with the migration. */
    static String toJson(Plan plan) {
        try {
            return Json.MAPPER.writeValueAsString(plan);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    /** @throws TandemException (DATABASE) when the stored plan is not one this version of Tandem can read */
    static Plan planFromJson(String json) {
        try {
            return Json.MAPPER.readValue(json, Plan.class);
        } catch (JsonProcessingException e) {
            throw new TandemException(TandemException.Kind.DATABASE, "the stored plan cannot be read: " + e.getMessage(), e);
        }
    }

    /** Holder of the mapper, so that an interface can keep one. */
    final class Json {
        private static final ObjectMapper MAPPER = new ObjectMapper()
                .configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, false);

        private Json() {
        }
    }
}
