package dev.tandem.cli;

import dev.tandem.testing.Pg;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A short run of the demo against a real PostgreSQL: the rolling upgrade passes with no failed request and every
 * row consistent; the naive upgrade really breaks the old nodes, and says so.
 */
class DemoTest {
    private static Cli.Result demo(String schema, String... extra) {
        String[] base = {"demo", "--url", Pg.url(), "--schema", schema, "--reset", "--rows", "3000", "--nodes", "2",
                "--duration", "1s", "--rate", "100", "--json"};
        String[] args = new String[base.length + extra.length];
        System.arraycopy(base, 0, args, 0, base.length);
        System.arraycopy(extra, 0, args, base.length, extra.length);
        return Cli.run(args);
    }

    @Test
    void rollingUpgradeNobodyNotices() throws Exception {
        Cli.Result r = demo("demo_rolling");
        assertThat(r.exitCode()).as(r.toString()).isZero();
        assertThat(r.err()).contains("==> expand 002_user_email").contains("==> contract 002_user_email")
                .contains("confirmed: every live instance runs 002_user_email").contains("PASSED");
        var report = Json.MAPPER.readTree(r.out());
        assertThat(report.get("failed_requests").asLong()).isZero();
        long requests = 0;
        for (var step : report.get("steps")) {
            for (var n : step.get("requests_by_version")) requests += n.asLong();
        }
        assertThat(requests).as("requests served during the upgrade").isGreaterThan(300);
        for (var check : report.get("checks")) assertThat(check.get("ok").asBoolean()).as(check.toString()).isTrue();
    }

    @Test
    void naiveUpgradeBreaksTheOldNodes() throws Exception {
        Cli.Result r = demo("demo_naive", "--naive");
        assertThat(r.exitCode()).as(r.toString()).isEqualTo(1);
        var report = Json.MAPPER.readTree(r.out());
        assertThat(report.get("failed_requests").asLong()).isPositive();
        assertThat(report.get("error_samples").toString()).contains("does not exist");
        assertThat(r.err()).contains("FAILED");
    }
}
