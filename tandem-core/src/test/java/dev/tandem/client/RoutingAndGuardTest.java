package dev.tandem.client;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import dev.tandem.Tandem;
import dev.tandem.TandemException;
import dev.tandem.lifecycle.ConcurrentWritersTest;
import dev.tandem.state.Phase;
import dev.tandem.state.StateStore;
import dev.tandem.testing.Background;
import dev.tandem.testing.Migrations;
import dev.tandem.testing.Pg;
import dev.tandem.testing.Rows;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.postgresql.ds.PGSimpleDataSource;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

/**
 * How applications select their version (URL options or the wrapper), how Tandem tells who wrote a row, which
 * instances it sees, and the contract guard that refuses while another version still runs.
 */
class RoutingAndGuardTest {
    @TempDir
    Path dir;
    String schema;
    Tandem tandem;
    Migrations files;

    @BeforeEach
    void setUp() {
        schema = Pg.newSchema("route");
        files = new Migrations(dir).write("001_init.yaml", ConcurrentWritersTest.V1);
        tandem = Tandem.configure().dataSource(Pg.dataSource()).migrations(dir).schema(schema).load();
        tandem.migrate();
        Rows.update(Pg.dataSource(schema + "_001_init"), "INSERT INTO accounts (name, enabled) VALUES ('a', 1), ('b', 0)");
        files.write("002_flags.yaml", ConcurrentWritersTest.V2);
        tandem.expand();
        tandem.backfill(); // the new version is ready only then
        Pg.exec("CREATE SCHEMA IF NOT EXISTS app_extra");
    }

    private Map<String, Object> physicalRow(String name) {
        return Rows.query(Pg.dataSource(), "SELECT enabled, _tandem_new_enabled AS new_enabled FROM \"" + schema
                + "\".accounts WHERE name = ?", name).get(0);
    }

    @Test
    void urlOptionsSelectTheVersionEvenWithExtraSchemasInTheSearchPath() {
        PGSimpleDataSource newApp = new PGSimpleDataSource();
        newApp.setURL(Pg.url() + "&currentSchema=app_extra," + schema + "_002_flags," + schema
                + "&ApplicationName=tandem:002_flags:url-node");
        Rows.update(newApp, "INSERT INTO accounts (username, enabled) VALUES ('n', false)");
        assertThat(physicalRow("n")).isEqualTo(Map.of("enabled", 0, "new_enabled", false));

        PGSimpleDataSource oldApp = new PGSimpleDataSource();
        oldApp.setURL(Pg.url() + "&currentSchema=app_extra," + schema + "_001_init");
        Rows.update(oldApp, "INSERT INTO accounts (name, enabled) VALUES ('o', 1)");
        assertThat(physicalRow("o")).isEqualTo(Map.of("enabled", 1, "new_enabled", true));
    }

    @Test
    void theWrapperPinsEveryCheckoutOfAPooledConnection() throws Exception {
        HikariConfig config = new HikariConfig();
        config.setDataSource(Pg.dataSource());
        config.setMaximumPoolSize(1);
        try (HikariDataSource pool = new HikariDataSource(config);
             TandemDataSource app = TandemDataSource.builder(pool, "002_flags").schema(schema).instanceId("pool-node").build()) {
            try (Connection c = app.getConnection(); Statement st = c.createStatement()) {
                st.executeUpdate("UPDATE accounts SET enabled = true WHERE username = 'b'");
                // The application points its connection elsewhere before giving it back to the pool ...
                st.execute("SET search_path TO app_extra, \"" + schema + "\"");
            }
            assertThat(physicalRow("b")).isEqualTo(Map.of("enabled", 1, "new_enabled", true));
            // ... and the next checkout of the same physical connection is a new-version writer again.
            try (Connection c = app.getConnection(); Statement st = c.createStatement()) {
                st.executeUpdate("UPDATE accounts SET enabled = false WHERE username = 'b'");
            }
            assertThat(physicalRow("b")).isEqualTo(Map.of("enabled", 0, "new_enabled", false));
        }
    }

    @Test
    void statusListsInstancesAsTheyComeAndGo() throws Exception {
        TandemDataSource node = TandemDataSource.builder(Pg.dataSource(), "001_init").schema(schema)
                .instanceId("node-1").heartbeat(Duration.ofMillis(100)).build();
        Connection held = node.getConnection();
        awaitInstances(List.of("node-1"));
        StateStore.Instance seen = tandem.status().instances().stream().filter(i -> i.id().equals("node-1")).findFirst().orElseThrow();
        assertThat(seen.version()).isEqualTo("001_init");
        assertThat(seen.connections()).isEqualTo(1);
        assertThat(seen.heartbeat()).isTrue();
        held.close();
        node.close();
        awaitInstances(List.of());
    }

    @Test
    void closeNeverLeavesAHeartbeatBehindEvenWithABeatInFlight() throws Exception {
        for (int attempt = 0; attempt < 12; attempt++) {
            // A 1 ms heartbeat keeps a beat in flight almost all the time, so close() nearly always races one.
            TandemDataSource node = TandemDataSource.builder(Pg.dataSource(), "001_init").schema(schema)
                    .instanceId("racing-node").heartbeat(Duration.ofMillis(1)).build();
            Thread.sleep(5 + attempt % 4);
            node.close();
            Thread.sleep(150); // time for a beat that close() did not wait for to commit
            assertThat(tandem.status().instances()).as("attempt %d", attempt)
                    .extracting(StateStore.Instance::id).doesNotContain("racing-node");
        }
    }

    /**
     * An application may start before Tandem ever ran in its state schema, and its heartbeat must not wait for
     * Tandem's own state: a beat that altered the migrations table would queue behind any reader of it.
     */
    @Test
    // The heartbeat this replaced queued behind the reader, and close() then waited for it for good; a JDBC call
    // blocked on a lock ignores interrupts, hence a separate thread.
    @Timeout(value = 60, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
    void theHeartbeatNeedsNoMigrationStateAndQueuesBehindNoReaderOfIt() throws Exception {
        String emptyState = schema + "_hb";
        try (Connection reader = Pg.dataSource().getConnection(); Statement st = reader.createStatement()) {
            reader.setAutoCommit(false);
            st.execute("LOCK TABLE tandem.migrations IN ACCESS SHARE MODE");
            try (TandemDataSource early = TandemDataSource.builder(Pg.dataSource(), "001_init").schema(schema)
                    .stateSchema(emptyState).instanceId("early-node").heartbeat(Duration.ofMillis(50)).build();
                 TandemDataSource busy = TandemDataSource.builder(Pg.dataSource(), "001_init").schema(schema)
                         .instanceId("busy-state-node").heartbeat(Duration.ofMillis(50)).build()) {
                awaitHeartbeatRow(emptyState, "early-node");
                awaitHeartbeatRow("tandem", "busy-state-node");
            }
            assertThat(Rows.scalar(Pg.dataSource(), "SELECT count(*) FROM \"" + emptyState + "\".instance_versions")).isEqualTo(0L);
            reader.rollback();
        }
    }

    /** A least-privilege application role: CREATE on a state schema a DBA made for it, none on the database. */
    @Test
    void theHeartbeatWorksWithCreateOnTheStateSchemaOnly() throws Exception {
        String role = schema + "_app";
        String state = schema + "_app_state";
        Pg.exec("CREATE ROLE \"" + role + "\" LOGIN");
        Pg.exec("CREATE SCHEMA \"" + state + "\"");
        Pg.exec("GRANT USAGE, CREATE ON SCHEMA \"" + state + "\" TO \"" + role + "\"");
        try (TandemDataSource node = TandemDataSource.builder(Pg.dataSourceAs(role), "001_init").schema(schema).stateSchema(state)
                .instanceId("least-privilege-node").heartbeat(Duration.ofMillis(50)).build()) {
            awaitHeartbeatRow(state, "least-privilege-node");
        }
    }

    /** Shutting an application down must not wait on whoever holds the instance's heartbeat row. */
    @Test
    @Timeout(value = 60, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
    void closeReturnsWhileSomeoneHoldsTheHeartbeatRow() throws Exception {
        TandemDataSource node = TandemDataSource.builder(Pg.dataSource(), "001_init").schema(schema)
                .instanceId("held-node").heartbeat(Duration.ofMillis(50)).build();
        awaitHeartbeatRow("tandem", "held-node");
        try (Connection holder = Pg.dataSource().getConnection(); Statement st = holder.createStatement()) {
            holder.setAutoCommit(false);
            st.execute("SELECT * FROM tandem.instance_versions WHERE instance_id = 'held-node' FOR UPDATE");
            Thread.sleep(200); // a beat is now waiting for the row
            node.close();
            holder.rollback();
        }
    }

    private static void awaitHeartbeatRow(String stateSchema, String instanceId) throws InterruptedException {
        String sql = "SELECT count(*) FROM \"" + stateSchema + "\".instance_versions WHERE instance_id = '" + instanceId + "'";
        for (int i = 0; i < 100; i++) {
            try {
                if (Rows.scalar(Pg.dataSource(), sql).equals(1L)) return;
            } catch (RuntimeException notYet) {
                // The instances table is created by the first beat.
            }
            Thread.sleep(50);
        }
        throw new AssertionError("no heartbeat row for " + instanceId + " in " + stateSchema);
    }

    private void awaitInstances(List<String> expected) throws InterruptedException {
        for (int i = 0; i < 100; i++) {
            List<String> ids = tandem.status().instances().stream().map(StateStore.Instance::id).toList();
            if (ids.equals(expected)) return;
            Thread.sleep(50);
        }
        assertThat(tandem.status().instances().stream().map(StateStore.Instance::id).toList()).isEqualTo(expected);
    }

    @Test
    void contractIsRefusedWhileAnOldInstanceRunsThenWaitsForItThenCanBeForced() throws Exception {
        tandem.backfill();
        TandemDataSource node = TandemDataSource.builder(Pg.dataSource(), "001_init").schema(schema)
                .instanceId("old-node").heartbeat(Duration.ofMillis(100)).build();
        awaitInstances(List.of("old-node"));

        TandemException refused = catchThrowableOfType(() -> tandem.contract(), TandemException.class);
        assertThat(refused.kind().exitCode).isEqualTo(3);
        assertThat(refused.getMessage()).contains("old-node (version 001_init");

        CompletableFuture<Void> leaves = CompletableFuture.runAsync(() -> {
            try {
                Thread.sleep(700);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            node.close();
        }, Background.THREADS);
        tandem.contract(Duration.ofSeconds(20), false);
        leaves.get();
        assertThat(tandem.status().current()).isEmpty();
    }

    /** Rollback drops the new version's schema: refused while an instance of the new version runs, unless forced. */
    @Test
    void rollbackIsRefusedWhileANewInstanceRunsThenCanBeForced() throws Exception {
        try (TandemDataSource node = TandemDataSource.builder(Pg.dataSource(), "002_flags").schema(schema)
                .instanceId("new-node").heartbeat(Duration.ofMillis(100)).build()) {
            node.getConnection().close();
            awaitInstances(List.of("new-node"));
            TandemException refused = catchThrowableOfType(() -> tandem.rollback(), TandemException.class);
            assertThat(refused.kind().exitCode).isEqualTo(3);
            assertThat(refused.getMessage()).contains("instances of version 002_flags are still running: new-node");
            assertThat(tandem.status().current().orElseThrow().phase()).isEqualTo(dev.tandem.state.Phase.BACKFILLED);
            assertThat(tandem.rollback(false, true).message()).contains("rolled back 002_flags");
        }
    }

    @Test
    void forceContractsAnywayAndSaysSoInTheHistory() throws Exception {
        tandem.backfill();
        try (TandemDataSource node = TandemDataSource.builder(Pg.dataSource(), "001_init").schema(schema)
                .instanceId("stubborn").heartbeat(Duration.ofMillis(100)).build()) {
            node.getConnection().close();
            tandem.contract(Duration.ZERO, true);
        }
        assertThat(Rows.scalar(Pg.dataSource(), "SELECT detail FROM tandem.history WHERE schema_name = ? AND event = 'contract forced'", schema))
                .asString().contains("stubborn");
    }

    @Test
    void aSecondMigrationCannotBeExpandedWhileOneIsInFlight() {
        files.write("003_more.yaml", """
                operations:
                  - add_column: {table: accounts, column: {name: note, type: text}}
                """);
        TandemException e = catchThrowableOfType(() -> tandem.expand(), TandemException.class);
        assertThat(e.kind().exitCode).isEqualTo(3);
        assertThat(e.getMessage()).contains("002_flags is backfilled and not yet contracted").contains("only one migration is in flight");
        assertThat(tandem.status().current().orElseThrow().phase()).isEqualTo(Phase.BACKFILLED);
    }
}
