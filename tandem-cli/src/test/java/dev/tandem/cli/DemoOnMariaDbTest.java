package dev.tandem.cli;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A short run of {@code tandem demo --db mariadb} on the embedded MariaDB it starts itself (as a user runs it, nothing
 * installed): the rolling upgrade passes with no failed request and every row consistent through both versions; the
 * naive ALTERs really break the old nodes, and the demo says so.
 */
class DemoOnMariaDbTest {
    private static Cli.Result demo(String... extra) {
        List<String> args = new ArrayList<>(List.of("demo", "--db", "mariadb", "--rows", "3000", "--nodes", "2",
                "--duration", "1s", "--rate", "100", "--json"));
        args.addAll(List.of(extra));
        return Cli.run(args.toArray(String[]::new));
    }

    @Test
    void rollingUpgradeOnEmbeddedMariaDbNobodyNotices() throws Exception {
        Cli.Result r = demo();
        assertThat(r.exitCode()).as(r.toString()).isZero();
        assertThat(r.err()).contains("starting an embedded MariaDB").contains("==> expand 002_user_email")
                .contains("==> contract 002_user_email").contains("confirmed: every live instance runs 002_user_email")
                .contains("PASSED");
        var report = Json.MAPPER.readTree(r.out());
        assertThat(report.get("failed_requests").asLong()).isZero();
        long requests = 0;
        long byNewVersion = 0;
        for (var step : report.get("steps")) {
            for (var n : step.get("requests_by_version")) requests += n.asLong();
            if (step.get("requests_by_version").has("002_user_email")) byNewVersion += step.get("requests_by_version").get("002_user_email").asLong();
        }
        assertThat(requests).as("requests served during the upgrade").isGreaterThan(300);
        assertThat(byNewVersion).as("requests the new version served").isGreaterThan(50);
        assertThat(report.get("checks")).hasSize(6);
        for (var check : report.get("checks")) assertThat(check.get("ok").asBoolean()).as(check.toString()).isTrue();
        // The base column keeps its physical name on MariaDB; the new version's views alias it.
        assertThat(report.get("checks").toString()).contains("name as username");
    }

    @Test
    void naiveAlterBreaksTheOldNodes() throws Exception {
        Cli.Result r = demo("--naive");
        assertThat(r.exitCode()).as(r.toString()).isEqualTo(1);
        var report = Json.MAPPER.readTree(r.out());
        assertThat(report.get("failed_requests").asLong()).isPositive();
        assertThat(report.get("error_samples").toString()).contains("Unknown column 'name'");
        assertThat(r.err()).contains("naive: ALTER TABLE statements that each commit on their own while 001_identity serves")
                .contains("FAILED").doesNotContain("ErrorPacket");
    }

    @Test
    void aDatabaseThatDisagreesWithTheUrlIsRefused() {
        Cli.Result r = Cli.run("demo", "--db", "postgres", "--url", "jdbc:mariadb://127.0.0.1:1/");
        assertThat(r.exitCode()).as(r.toString()).isEqualTo(2);
        assertThat(r.err()).contains("--db postgres but --url names a mariadb server");
    }
}
