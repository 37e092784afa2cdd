package dev.tandem.cli;

import dev.tandem.backfill.ReplicaLagScenarios;
import dev.tandem.testing.MariaDbReplica;
import dev.tandem.testing.MariaDbServer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code tandem backfill --replica jdbc:mariadb://...?user=...}: the replica is read with the login its URL names (one
 * that may only SELECT in the state database), not the primary's, and the backfill holds while it does not apply.
 */
class MariaDbReplicaCliTest {
    @TempDir
    Path dir;

    @Test
    @Timeout(value = 180, unit = TimeUnit.SECONDS)
    void backfillWatchesAMariaDbReplicaWithItsOwnLogin() throws Exception {
        try (MariaDbReplica r = MariaDbReplica.start()) {
            String schema = ReplicaLagScenarios.expanded(r, dir);
            List<String> primary = List.of("--url", r.tandemUrl(schema), "--user", "root",
                    "--password", MariaDbServer.PASSWORD, "--migrations", dir.toString());

            r.pauseReplay();
            List<String> backfill = new ArrayList<>(primary);
            backfill.addAll(List.of("--replica", r.replicaServer().url(null) + "?user=" + MariaDbReplica.READER
                    + "&password=" + MariaDbServer.PASSWORD, "--max-replica-lag", "300ms", "--max-rows-per-second", "2000"));
            CompletableFuture<Cli.Result> running = CompletableFuture.supplyAsync(() -> run("backfill", backfill));
            long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
            String status = "";
            while (!status.contains("throttled") && System.nanoTime() < deadline && !running.isDone()) {
                Thread.sleep(100);
                status = run("status", primary).out();
            }
            assertThat(status).as("status while the replica does not apply")
                    .contains("replica 1 has applied none of Tandem's replication heartbeats").contains("(limit 300 ms)");
            assertThat(running).isNotDone();

            r.resumeReplay();
            Cli.Result done = running.get(90, TimeUnit.SECONDS);
            assertThat(done.exitCode()).as(done.toString()).isZero();
            assertThat(done.all()).contains("throttled — replica 1 has applied none");
        }
    }

    private static Cli.Result run(String command, List<String> args) {
        List<String> all = new ArrayList<>(List.of(command));
        all.addAll(args);
        return Cli.run(all.toArray(String[]::new));
    }
}
