package dev.tandem.state;

import dev.tandem.dialect.Dialect;
import dev.tandem.engine.LockHolders;
import dev.tandem.engine.MigrationLock;
import dev.tandem.engine.Plan;
import dev.tandem.testing.TestDatabase;
import dev.tandem.testing.TestDatabase.OnEveryDatabase;

import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/**
 * Tandem's state on every database: the same calls give the same answers, whichever SQL stores them. Each test keeps
 * its state in a state schema of its own.
 */
class StateStoreTest {

    private static Plan plan(String migration, String schema) {
        return new Plan(migration, schema, schema + "_" + migration, schema + "_001_init", List.of(), List.of(),
                List.of(), List.of(), List.of(), List.of(), List.of(), List.of(), List.of("a notice"), List.of());
    }

    private static StateStore store(TestDatabase db, String stateSchema, String schema) {
        return db.dialect().stateStore(stateSchema, schema);
    }

    @OnEveryDatabase
    void nothingIsThereBeforeInstallAndInstallingTwiceChangesNothing(TestDatabase db) throws SQLException {
        StateStore state = store(db, db.newSchema("state"), "app");
        try (Connection c = db.dataSource().getConnection()) {
            assertThat(state.installed(c)).isFalse();
            assertThat(state.all(c)).isEmpty();
            assertThat(state.activity(c, "002_x")).isEmpty();
            assertThat(state.backfills(c, "002_x")).isEmpty();
            state.removeInstance(c, "node", "002_x"); // before anything: nothing to remove, no error

            state.install(c);
            state.begin(c, "002_x", "sum", "002_x.yaml", plan("002_x", "app"));
            state.install(c);
            assertThat(state.installed(c)).isTrue();
            assertThat(state.all(c)).containsOnlyKeys("002_x");
        }
    }

    @OnEveryDatabase
    void aMigrationsPhasesAndCheckpointsReadBackAsWritten(TestDatabase db) throws SQLException {
        StateStore state = store(db, db.newSchema("state"), "app");
        StateStore otherSchema = store(db, state.stateSchema(), "other");
        try (Connection c = db.dataSource().getConnection()) {
            state.install(c);
            Instant before = Instant.now();
            state.begin(c, "002_x", "sum1", "migrations/002_x.yaml", plan("002_x", "app"));
            MigrationState m = state.get(c, "002_x").orElseThrow();
            assertThat(m.phase()).isEqualTo(Phase.EXPANDING);
            assertThat(m.checksum()).isEqualTo("sum1");
            assertThat(m.file()).isEqualTo("migrations/002_x.yaml");
            assertThat(m.versionSchema()).isEqualTo("app_002_x");
            assertThat(m.previousVersionSchema()).isEqualTo("app_001_init");
            assertThat(StateStore.planFromJson(m.planJson()).notices()).containsExactly("a notice");
            // The server's clock, whatever the session's time zone: within a minute of this machine's.
            assertThat(m.startedAt()).isCloseTo(before, within(Duration.ofMinutes(1)));
            assertThat(m.expandedAt()).isNull();
            assertThat(otherSchema.all(c)).isEmpty(); // state is per managed schema

            state.setStepsDone(c, "002_x", 3);
            assertThat(state.get(c, "002_x").orElseThrow().stepsDone()).isEqualTo(3);
            state.setPhase(c, "002_x", Phase.EXPANDED);
            m = state.get(c, "002_x").orElseThrow();
            assertThat(m.phase()).isEqualTo(Phase.EXPANDED);
            assertThat(m.stepsDone()).isZero();
            assertThat(m.expandedAt()).isNotNull();

            // A key of several parts, with what text keys may hold: quotes, commas, backslashes, brackets, non-ASCII.
            List<String> upper = List.of("10", "it's \"a\", [b]\\c ü");
            state.startBackfill(c, "002_x", "users", BackfillState.Walk.KEY, upper, 100);
            state.startBackfill(c, "002_x", "users", BackfillState.Walk.KEY, List.of("99", "z"), 5); // the first one stays
            state.startBackfill(c, "002_x", "empty", BackfillState.Walk.KEY, null, 0);
            List<BackfillState> started = state.backfills(c, "002_x");
            assertThat(started).extracting(BackfillState::table).containsExactly("empty", "users");
            assertThat(started.get(0).done()).isTrue();
            BackfillState users = started.get(1);
            assertThat(users.upperKey()).isEqualTo(upper);
            assertThat(users.lastKey()).isNull();
            assertThat(users.rowsTotal()).isEqualTo(100);
            assertThat(users.done()).isFalse();

            state.checkpoint(c, "002_x", "users", List.of("5", "a'b"), 5, 120, false, 50);
            state.checkpoint(c, "002_x", "users", null, 2, 120, false, 60); // a batch that found no end key
            users = state.backfills(c, "002_x").get(1);
            assertThat(users.lastKey()).containsExactly("5", "a'b");
            assertThat(users.rowsDone()).isEqualTo(7);
            assertThat(users.rowsTotal()).isEqualTo(120);
            assertThat(users.batchSize()).isEqualTo(60);
            assertThat(users.updatedAt()).isCloseTo(before, within(Duration.ofMinutes(1)));

            state.walkByKeyFromStart(c, "002_x", "users", List.of("11", "b"));
            users = state.backfills(c, "002_x").get(1);
            assertThat(users.walk()).isEqualTo(BackfillState.Walk.KEY);
            assertThat(users.lastKey()).isNull();
            assertThat(users.upperKey()).containsExactly("11", "b");
            assertThat(users.rowsDone()).isZero();

            state.setPaused(c, "002_x", true);
            state.setMaxRowsPerSecond(c, "002_x", 500);
            assertThat(state.control(c, "002_x")).isEqualTo(new StateStore.BackfillControl(true, 500));
            state.setMaxRowsPerSecond(c, "002_x", null);
            assertThat(state.control(c, "002_x").maxRowsPerSecond()).isNull();
            state.setMaxRowsPerSecond(c, "002_x", 500);
            state.history(c, "002_x", "expanded", "step", "a detail with 'quotes'");

            // A rollback ends this backfill: its control goes; an expand after it starts with no checkpoints.
            state.setPhase(c, "002_x", Phase.ROLLED_BACK);
            assertThat(state.get(c, "002_x").orElseThrow().rolledBackAt()).isNotNull();
            assertThat(state.control(c, "002_x")).isEqualTo(new StateStore.BackfillControl(false, null));
            state.begin(c, "002_x", "sum2", "migrations/002_x.yaml", plan("002_x", "app"));
            m = state.get(c, "002_x").orElseThrow();
            assertThat(m.phase()).isEqualTo(Phase.EXPANDING);
            assertThat(m.checksum()).isEqualTo("sum2");
            assertThat(m.expandedAt()).isNull();
            assertThat(m.rolledBackAt()).isNull();
            assertThat(state.backfills(c, "002_x")).isEmpty();
        }
    }

    @OnEveryDatabase
    void instancesBeatPerVersionGoWhenRemovedAndWhenStale(TestDatabase db) throws SQLException {
        String stateSchema = db.newSchema("state");
        StateStore app = store(db, stateSchema, "app");
        try (Connection c = db.dataSource().getConnection()) {
            // An application may start before Tandem ever ran: the heartbeat table alone is enough.
            app.installHeartbeat(c);
            app.installHeartbeat(c);
            assertThat(app.installed(c)).isFalse();
            app.heartbeat(c, "node-a", "001_init", "host-a", 11);
            app.heartbeat(c, "node-a", "002_x", "host-a", 12);
            app.heartbeat(c, "node-b", "002_x", "host-b", 13);
            app.heartbeat(c, "node-b", "002_x", "host-b2", 14); // a beat again moves it, not adds it
            store(db, stateSchema, "other").heartbeat(c, "node-c", "002_x", "host-c", 15);

            List<StateStore.Instance> live = app.liveInstances(c, Duration.ofSeconds(30));
            assertThat(live).extracting(i -> i.id() + "/" + i.version() + "@" + i.host())
                    .containsExactlyInAnyOrder("node-a/001_init@host-a", "node-a/002_x@host-a", "node-b/002_x@host-b2");
            assertThat(live).allSatisfy(i -> {
                assertThat(i.heartbeat()).isTrue();
                assertThat(i.lastSeen()).isCloseTo(Instant.now(), within(Duration.ofMinutes(1)));
            });

            // The old version stops on node-a: its new version stays.
            app.removeInstance(c, "node-a", "001_init");
            assertThat(app.liveInstances(c, Duration.ofSeconds(30))).extracting(i -> i.id() + "/" + i.version())
                    .containsExactlyInAnyOrder("node-a/002_x", "node-b/002_x");

            // A beat older than the freshness limit, by the server's clock, is no instance any more.
            db.exec("UPDATE " + db.dialect().qualify(stateSchema, "instance_versions") + " SET last_seen = "
                    + db.ago(Duration.ofMinutes(1)) + " WHERE instance_id = 'node-b'");
            assertThat(app.liveInstances(c, Duration.ofSeconds(30))).extracting(StateStore.Instance::id)
                    .containsExactly("node-a");
        }
    }

    @OnEveryDatabase
    void aRunningBackfillWhoseBeatStopsIsInterrupted(TestDatabase db) throws SQLException {
        String stateSchema = db.newSchema("state");
        StateStore state = store(db, stateSchema, "app");
        try (Connection c = db.dataSource().getConnection()) {
            state.install(c);
            state.begin(c, "002_x", "sum", null, plan("002_x", "app"));
            state.setActivity(c, "002_x", "running", "batch 3");
            StateStore.BackfillActivity a = state.activity(c, "002_x").orElseThrow();
            assertThat(a.status()).isEqualTo("running");
            assertThat(a.reason()).isEqualTo("batch 3");
            assertThat(a.seenAt()).isCloseTo(Instant.now(), within(Duration.ofMinutes(1)));

            String age = "UPDATE " + db.dialect().qualify(stateSchema, "migrations") + " SET backfill_seen_at = "
                    + db.ago(StateStore.BACKFILL_STALE.plusSeconds(5));
            db.exec(age);
            a = state.activity(c, "002_x").orElseThrow();
            assertThat(a.status()).isEqualTo(StateStore.INTERRUPTED);
            assertThat(a.reason()).contains("run tandem backfill to resume");

            state.beat(c, "002_x");
            assertThat(state.activity(c, "002_x").orElseThrow().status()).isEqualTo("running");

            // What stays true after the process ends is never called interrupted.
            state.setActivity(c, "002_x", "done", null);
            db.exec(age);
            assertThat(state.activity(c, "002_x").orElseThrow().status()).isEqualTo("done");
        }
    }

    @OnEveryDatabase
    void theMigrationLockIsExclusiveNamesItsHolderAndDiesWithItsSession(TestDatabase db) throws Exception {
        Dialect dialect = db.dialect();
        String key = "tandem:tandem:" + db.newSchema("locked");
        try (Connection holder = db.dataSource().getConnection(); Connection waiter = db.dataSource().getConnection();
             Connection third = db.dataSource().getConnection()) {
            dialect.setApplicationName(holder, "tandem expand pid 42 on host-a");
            assertThat(dialect.tryMigrationLock(holder, key)).isTrue();
            assertThat(dialect.tryMigrationLock(waiter, key)).isFalse();
            assertThat(dialect.tryMigrationLock(waiter, key + ":other")).isTrue(); // another schema's lock is another lock
            dialect.releaseMigrationLock(waiter, key + ":other");

            List<Dialect.LockHolder> holders = dialect.migrationLockHolders(waiter, key);
            assertThat(holders).hasSize(1);
            assertThat(holders.get(0).client()).isNotBlank();
            if (db.showsSessionNames()) {
                assertThat(holders.get(0).applicationName()).isEqualTo("tandem expand pid 42 on host-a");
            }

            // The holder's session dies without releasing: the lock goes with it.
            db.kill(holder);
            long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
            boolean taken;
            while (!(taken = dialect.tryMigrationLock(waiter, key)) && System.nanoTime() < deadline) Thread.sleep(50);
            assertThat(taken).as("the lock of a killed session is free").isTrue();
            assertThat(dialect.tryMigrationLock(third, key)).isFalse();
            dialect.releaseMigrationLock(waiter, key);
            assertThat(dialect.tryMigrationLock(third, key)).isTrue();
            assertThat(dialect.migrationLockHolders(waiter, key)).hasSize(1);
            dialect.releaseMigrationLock(third, key);
            assertThat(dialect.migrationLockHolders(waiter, key)).isEmpty();
        }
    }

    /**
     * The holder of the migration lock is named by the record of the command that took it, matched by session id, on
     * every database (MariaDB without the Performance Schema shows no session names); a record whose session no longer
     * holds the lock names no one, not even the session that holds it now.
     */
    @OnEveryDatabase
    void theLockHolderIsNamedByItsRecordOnlyWhileItsSessionHoldsTheLock(TestDatabase db) throws Exception {
        Dialect dialect = db.dialect();
        String schema = db.newSchema("held");
        StateStore state = store(db, db.newSchema("state"), schema);
        LockHolders named = new LockHolders(dialect, state);
        String key = "tandem:" + state.stateSchema() + ":" + schema;
        try (Connection tandem = db.dataSource().getConnection(); Connection other = db.dataSource().getConnection();
             Connection waiter = db.dataSource().getConnection()) {
            assertThat(named.of(waiter, key)).isEmpty(); // no state yet, no holder: nothing to name
            assertThat(dialect.tryMigrationLock(tandem, key)).isTrue();
            state.install(tandem);
            Instant before = Instant.now().minusSeconds(1);
            named.record(tandem, "tandem backfill pid 42 on host-a");

            List<Dialect.LockHolder> holders = named.of(waiter, key);
            assertThat(holders).singleElement().satisfies(h -> {
                assertThat(h.sessionId()).isEqualTo(dialect.sessionId(tandem));
                assertThat(h.applicationName()).isEqualTo("tandem backfill pid 42 on host-a");
                assertThat(h.since()).isAfter(before.minusSeconds(3600));
            });
            assertThat(MigrationLock.describe(holders)).startsWith("tandem backfill pid 42 on host-a (from ");
            assertThat(MigrationLock.backfillHolds(holders)).isTrue();

            // The recorded command lets go; another session, which recorded nothing, takes the lock: the stale record
            // must not name it.
            dialect.releaseMigrationLock(tandem, key);
            assertThat(named.of(waiter, key)).isEmpty();
            assertThat(dialect.tryMigrationLock(other, key)).isTrue();
            holders = named.of(waiter, key);
            assertThat(holders).singleElement().satisfies(h -> {
                assertThat(h.sessionId()).isEqualTo(dialect.sessionId(other));
                assertThat(h.applicationName()).isNotEqualTo("tandem backfill pid 42 on host-a");
            });
            assertThat(MigrationLock.backfillHolds(holders)).isFalse();
            dialect.releaseMigrationLock(other, key);
        }
    }

    /** Keys longer than MySQL's 64-character lock names: two that differ only at the end are still two locks. */
    @OnEveryDatabase
    void longKeysThatDifferOnlyAtTheEndAreDifferentLocks(TestDatabase db) throws SQLException {
        Dialect dialect = db.dialect();
        String common = "tandem:" + "a_state_schema_with_a_long_name:".repeat(3);
        try (Connection a = db.dataSource().getConnection(); Connection b = db.dataSource().getConnection()) {
            assertThat(dialect.tryMigrationLock(a, common + "app_one")).isTrue();
            assertThat(dialect.tryMigrationLock(b, common + "app_two")).isTrue();
            assertThat(dialect.tryMigrationLock(b, common + "app_one")).isFalse();
            dialect.releaseMigrationLock(a, common + "app_one");
            dialect.releaseMigrationLock(b, common + "app_two");
        }
    }
}
