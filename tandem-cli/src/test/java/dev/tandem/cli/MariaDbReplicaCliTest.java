package dev.tandem.cli;

import dev.tandem.testing.MariaDbReplica;
import dev.tandem.testing.MariaDbServer;
import dev.tandem.testing.Migrations;
import dev.tandem.testing.Rows;
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
            String schema = r.newSchema("cli");
            List<String> primary = List.of("--url", r.tandemUrl(schema), "--user", "root",
                    "--password", MariaDbServer.PASSWORD, "--migrations", dir.toString());
            Migrations files = new Migrations(dir).write("001_init.yaml", """
                    operations:
                      - create_table:
                          table: m
                          columns:
                            - {name: id, type: bigint, primary_key: true}
                            - {name: v, type: integer, nullable: false}
                    """);
            assertThat(run("migrate", primary).exitCode()).isZero();
            Rows.update(r.primaryDataSource(), "INSERT INTO `" + schema + "`.m SELECT seq, seq FROM mysql.seq_1_to_3000");
            files.write("002_widen.yaml", """
                    operations:
                      - alter_column: {table: m, column: v, type: bigint, up: "v * 10", down: "v"}
                    """);
            assertThat(run("expand", primary).exitCode()).isZero();
            r.awaitCaughtUp(Duration.ofSeconds(60));

            r.pauseReplay();
            List<String> backfill = new ArrayList<>(primary);
            backfill.addAll(List.of("--replica", r.replicaServer().url(null) + "?user=" + MariaDbReplica.READER
                    + "&password=" + MariaDbServer.PASSWORD, "--max-replica-lag", "300ms", "--max-rows-per-second", "500"));
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
