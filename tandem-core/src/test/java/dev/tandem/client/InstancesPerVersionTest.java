package dev.tandem.client;

import dev.tandem.Tandem;
import dev.tandem.TandemException;
import dev.tandem.lifecycle.ConcurrentWritersTest;
import dev.tandem.state.StateStore;
import dev.tandem.testing.Migrations;
import dev.tandem.testing.Pg;
import dev.tandem.testing.Rows;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.sql.Connection;
import java.time.Duration;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

/**
 * A rolling restart: one node id runs the old version (draining) and the new one at once. Both show, both count
 * for the contract guard, and the old one going away does not take the new one's heartbeat with it.
 */
class InstancesPerVersionTest {
    @TempDir
    Path dir;

    private Tandem expanded(String schema, String stateSchema) {
        Migrations files = new Migrations(dir).write("001_init.yaml", ConcurrentWritersTest.V1);
        Tandem tandem = Tandem.configure().dataSource(Pg.dataSource()).migrations(dir).schema(schema)
                .stateSchema(stateSchema).load();
        tandem.migrate();
        files.write("002_flags.yaml", ConcurrentWritersTest.V2);
        tandem.expand();
        tandem.backfill();
        return tandem;
    }

    private static TandemDataSource node(String schema, String stateSchema, String version) {
        return TandemDataSource.builder(Pg.dataSource(), version).schema(schema).stateSchema(stateSchema)
                .instanceId("node-a").heartbeat(Duration.ofMillis(50)).build();
    }

    @Test
    void theSameNodeOnTwoVersionsIsTwoInstances() throws Exception {
        String schema = Pg.newSchema("twice");
        Tandem tandem = expanded(schema, "tandem");
        try (TandemDataSource old = node(schema, "tandem", "001_init");
             TandemDataSource next = node(schema, "tandem", "002_flags");
             Connection a = old.getConnection(); Connection b = next.getConnection()) {
            awaitRows(schema, "tandem", 2);
            assertThat(versionsOfNodeA(tandem)).containsExactlyInAnyOrder("001_init", "002_flags");
            assertThat(tandem.status().instances()).filteredOn(i -> i.id().equals("node-a"))
                    .allSatisfy(i -> assertThat(i.connections()).isEqualTo(1));

            TandemException refused = catchThrowableOfType(tandem::contract, TandemException.class);
            assertThat(refused).isNotNull();
            assertThat(refused.getMessage()).contains("node-a (version 001_init");

            // Heartbeats alone (no connection open) keep both, too.
            a.close();
            b.close();
            assertThat(versionsOfNodeA(tandem)).containsExactlyInAnyOrder("001_init", "002_flags");

            // The old version stops: the new one on the same node stays.
            old.close();
            assertThat(versionsOfNodeA(tandem)).containsExactly("002_flags");
        }
    }

    /** Instances of an older client library beat into the table keyed by id alone; they count as before. */
    @Test
    void anOlderLibrarysHeartbeatStillCounts() {
        String schema = Pg.newSchema("legacy");
        Tandem tandem = expanded(schema, "tandem");
        Rows.update(Pg.dataSource(), "INSERT INTO tandem.instances (instance_id, schema_name, version, host, pid)"
                + " VALUES ('node-a', ?, '001_init', 'old-lib-host', 1)", schema);
        assertThat(versionsOfNodeA(tandem)).containsExactly("001_init");
        assertThat(catchThrowableOfType(tandem::contract, TandemException.class).getMessage())
                .contains("node-a (version 001_init, old-lib-host)");
    }

    private static List<String> versionsOfNodeA(Tandem tandem) {
        return tandem.status().instances().stream().filter(i -> i.id().equals("node-a"))
                .map(StateStore.Instance::version).toList();
    }

    private static void awaitRows(String schema, String stateSchema, long rows) throws InterruptedException {
        String sql = "SELECT count(*) FROM \"" + stateSchema + "\".instance_versions WHERE instance_id = 'node-a' AND schema_name = ?";
        for (int i = 0; i < 200; i++) {
            if (((Number) Rows.scalar(Pg.dataSource(), sql, schema)).longValue() >= rows) return;
            Thread.sleep(25);
        }
        throw new AssertionError("fewer than " + rows + " heartbeat rows of node-a in " + stateSchema);
    }
}
