package dev.tandem.backfill;

import dev.tandem.testing.Replica;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Path;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

/** The backfill holds while a real streaming replica lags behind, says so in status, and goes on when it catches up. */
class ReplicaLagTest {
    static EmbeddedPostgres primary;
    static Replica replica;
    static ExecutorService background;

    @TempDir
    Path dir;

    @BeforeAll
    static void startPrimaryAndReplica() {
        primary = Replica.primary();
        replica = Replica.start(primary);
        background = Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "replica-lag-backfill");
            t.setDaemon(true);
            return t;
        });
    }

    @AfterAll
    static void stopThem() throws IOException {
        if (background != null) background.shutdownNow();
        if (replica != null) {
            try {
                replica.resumeReplay();
            } catch (RuntimeException ignored) {
                // Going away anyway.
            }
            replica.close();
        }
        if (primary != null) primary.close();
    }

    @Test
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    void holdsWhileTheReplicaLagsAndFinishesOnceItCatchesUp() throws Exception {
        ReplicaLagScenarios.holdsWhileTheReplicaLagsAndFinishesOnceItCatchesUp(replica, dir, background);
    }
}
