package dev.tandem.cli;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tandem.Tandem;
import dev.tandem.testing.Migrations;
import dev.tandem.testing.Pg;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The readiness gate as deployment scripts see it: `status --check` says 11 (backfill, do not roll out) until the
 * backfill made the new version ready, then 12; `plan` says when the version's schema is created; `expand --wait-ready`
 * returns with the version ready.
 */
class ReadinessCliTest {
    @TempDir
    Path dir;

    private String[] args(String command, String schema, String... more) {
        String[] base = {command, "--url", Pg.url(), "--schema", schema, "--migrations", dir.toString()};
        String[] all = java.util.Arrays.copyOf(base, base.length + more.length);
        System.arraycopy(more, 0, all, base.length, more.length);
        return all;
    }

    private String prepared() {
        String schema = Pg.newSchema("readycli");
        Migrations m = new Migrations(dir).write("001_init.yaml", CrashTest.V1);
        Tandem.configure().dataSource(Pg.dataSource()).migrations(dir).schema(schema).load().migrate();
        Pg.exec("INSERT INTO \"" + schema + "\".a SELECT g, g FROM generate_series(1, 300) g");
        m.write("002_change.yaml", StatusTruthTest.ADD_W);
        return schema;
    }

    @Test
    void statusCheckSaysBackfillUntilTheNewVersionIsReady() throws Exception {
        String schema = prepared();
        Cli.Result plan = Cli.run(args("plan", schema));
        assertThat(plan.out()).as(plan.toString()).contains("new version ready (at the end of the backfill)");
        Cli.Result expand = Cli.run(args("expand", schema));
        assertThat(expand.exitCode()).as(expand.toString()).isZero();
        assertThat(expand.out() + expand.err()).contains("not ready yet");

        Cli.Result status = Cli.run(args("status", schema, "--check"));
        assertThat(status.exitCode()).as(status.toString()).isEqualTo(11);
        assertThat(status.out()).contains("new version 002_change: not ready: backfill not started");
        JsonNode json = StatusTruthTest.JSON.readTree(Cli.run(args("status", schema, "--json")).out());
        assertThat(json.get("migrations").get(1).get("ready").asBoolean()).isFalse();

        assertThat(Cli.run(args("backfill", schema)).exitCode()).isZero();
        status = Cli.run(args("status", schema, "--check"));
        assertThat(status.exitCode()).as(status.toString()).isEqualTo(12);
        assertThat(status.out()).contains("new version 002_change: ready");
        json = StatusTruthTest.JSON.readTree(Cli.run(args("status", schema, "--json")).out());
        assertThat(json.get("migrations").get(1).get("ready").asBoolean()).isTrue();
    }

    @Test
    void expandWaitReadyReturnsWithTheVersionReady() throws Exception {
        String schema = prepared();
        Cli.Result expand = Cli.run(args("expand", schema, "--wait-ready"));
        assertThat(expand.exitCode()).as(expand.toString()).isZero();
        Cli.Result status = Cli.run(args("status", schema, "--check"));
        assertThat(status.exitCode()).as(status.toString()).isEqualTo(12);
        assertThat(Pg.dataSource()).satisfies(ds -> assertThat(dev.tandem.testing.Rows.scalar(ds,
                "SELECT count(*) FROM pg_namespace WHERE nspname = ?", schema + "_002_change")).isEqualTo(1L));
    }
}
