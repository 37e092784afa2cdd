package dev.tandem.backfill;

import dev.tandem.MigrationStatus;
import dev.tandem.Outcome;
import dev.tandem.Tandem;
import dev.tandem.testing.MariaDbReplica;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

import static dev.tandem.backfill.ReplicaLagScenarios.await;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The backfill's replica-lag throttle on real MariaDB replication (two embedded servers), read by a replica login
 * that may only SELECT in Tandem's state database: no REPLICA MONITOR, no SUPER.
 */
class MariaDbReplicaLagTest {
    static MariaDbReplica replica;
    static ExecutorService background;

    @TempDir
    Path dir;

    @BeforeAll
    static void startPrimaryAndReplica() {
        replica = MariaDbReplica.start();
        background = Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "mariadb-replica-lag-backfill");
            t.setDaemon(true);
            return t;
        });
    }

    @AfterAll
    static void stopThem() {
        if (background != null) background.shutdownNow();
        if (replica != null) replica.close();
    }

    /** Whatever a test did, the next one starts with a replica that applies. */
    @AfterEach
    void replicaApplies() {
        if (!replica.replicaServer().isRunning()) replica.replicaServer().restart();
        if (replica.replayPaused()) replica.resumeReplay();
    }

    @Test
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    void holdsWhileTheReplicaLagsAndFinishesOnceItCatchesUp() throws Exception {
        // The login the backfill reads the replica with may not read the replica's status (error 1227).
        assertThatThrownBy(() -> {
            try (Connection c = replica.replicaForTandem().getConnection(); Statement st = c.createStatement()) {
                st.executeQuery("SHOW ALL REPLICAS STATUS");
            }
        }).isInstanceOfSatisfying(SQLException.class, e -> assertThat(e.getErrorCode()).as(e.getMessage()).isEqualTo(1227));
        ReplicaLagScenarios.holdsWhileTheReplicaLagsAndFinishesOnceItCatchesUp(replica, dir, background);
    }

    /**
     * A replica that stopped applying before the backfill of this schema ever beat has no beat to show: the backfill
     * holds once the first beat is older than the limit, and says what the replica lacks.
     */
    @Test
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    void holdsForAReplicaThatHasNeverAppliedAHeartbeat() throws Exception {
        String schema = ReplicaLagScenarios.expanded(replica, dir);
        replica.pauseReplay();
        Tandem observer = replica.tandem(schema).migrations(dir).load();
        CompletableFuture<Outcome> running = ReplicaLagScenarios.backfill(replica, schema, dir, background);
        MigrationStatus throttled = await(observer, running, "throttled",
                m -> m.activity() != null && "throttled".equals(m.activity().status()), Duration.ofSeconds(30));
        assertThat(throttled.activity().reason()).as("why the backfill waits")
                .startsWith("replica 1 has applied none of Tandem's replication heartbeats (`tandem`.`replication_heartbeat`),"
                        + " the first written ")
                .contains("is it a replica of this server, replicating database `tandem`?")
                .endsWith("(limit 500 ms)");
        ReplicaLagScenarios.assertHeld(observer, running, replica);

        replica.resumeReplay();
        ReplicaLagScenarios.finishes(replica, schema, observer, running);
    }

    /** A replica that is down holds the backfill, never counts as caught up; back up, it catches up and the backfill ends. */
    @Test
    @Timeout(value = 180, unit = TimeUnit.SECONDS)
    void holdsWhileTheReplicaCannotBeReached() throws Exception {
        String schema = ReplicaLagScenarios.expanded(replica, dir);
        replica.replicaServer().stop();
        Tandem observer = replica.tandem(schema).migrations(dir).load();
        CompletableFuture<Outcome> running = ReplicaLagScenarios.backfill(replica, schema, dir, background);
        MigrationStatus throttled = await(observer, running, "throttled",
                m -> m.activity() != null && "throttled".equals(m.activity().status()), Duration.ofSeconds(30));
        assertThat(throttled.activity().reason()).startsWith("replica 1 cannot be reached to measure its lag: ");
        assertThat(ReplicaLagScenarios.assertHeld(observer, running, replica).rowsDone())
                .as("no batch before the first lag check").isZero();

        replica.replicaServer().restart();
        ReplicaLagScenarios.finishes(replica, schema, observer, running);
    }
}
