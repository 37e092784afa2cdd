package dev.tandem.cli;

import dev.tandem.testing.Pg;
import org.junit.jupiter.api.Test;

import java.util.HashMap;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A short run of the demo against a real PostgreSQL: the rolling upgrade passes with no failed request and every
 * row consistent; the naive upgrade really breaks the old nodes, and says so.
 */
class DemoTest {
    private static Cli.Result demo(String schema, String... extra) {
        String[] reset = new String[extra.length + 1];
        reset[0] = "--reset";
        System.arraycopy(extra, 0, reset, 1, extra.length);
        return demoKeeping(schema, reset);
    }

    /** Without --reset: what a previous run left is the demo's to drop, anything else is not. */
    private static Cli.Result demoKeeping(String schema, String... extra) {
        String[] base = {"demo", "--url", Pg.url(), "--schema", schema, "--rows", "3000", "--nodes", "2",
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

    @Test
    void aSecondRunOnTheSameDatabaseDropsWhatTheFirstLeft() throws Exception {
        Pg.exec("DROP SCHEMA IF EXISTS demo_again CASCADE");
        Pg.exec("DROP SCHEMA IF EXISTS demo_again_state CASCADE");
        Cli.Result first = demoKeeping("demo_again");
        assertThat(first.exitCode()).as(first.toString()).isZero();
        // Without --json this time: the report is the result, on stdout; progress stays on stderr.
        Cli.Result second = Cli.run("demo", "--url", Pg.url(), "--schema", "demo_again", "--rows", "3000", "--nodes", "2",
                "--duration", "1s", "--rate", "100");
        assertThat(second.exitCode()).as(second.toString()).isZero();
        assertThat(second.err()).contains("dropping schema demo_again, left by a previous demo run")
                .contains("==> contract 002_user_email").doesNotContain("Usage:").doesNotContain("PASSED");
        assertThat(second.out()).contains("p50 ms").contains("PASSED");
    }

    @Test
    void aSchemaTheDemoDidNotCreateIsLeftAloneWithoutAUsageDump() throws Exception {
        Pg.exec("DROP SCHEMA IF EXISTS demo_theirs CASCADE");
        Pg.exec("CREATE SCHEMA demo_theirs");
        Pg.exec("CREATE TABLE demo_theirs.precious (id int)");
        Cli.Result r = demoKeeping("demo_theirs");
        assertThat(r.exitCode()).as(r.toString()).isEqualTo(2);
        assertThat(r.err()).contains("schema \"demo_theirs\" exists and was not created by tandem demo")
                .contains("--reset").doesNotContain("Usage:").doesNotContain("unexpected");
        try (var c = Pg.dataSource().getConnection(); var st = c.createStatement();
             var rs = st.executeQuery("SELECT to_regclass('demo_theirs.precious') IS NOT NULL")) {
            rs.next();
            assertThat(rs.getBoolean(1)).as("their table is still there").isTrue();
        }
    }

    /**
     * The live lines and the report count the same requests: per step and version, the live lines' requests and
     * failures add up to the report's. And the report says what the change is and what its columns mean.
     */
    @Test
    void theLiveLinesAddUpToTheReport() throws Exception {
        Cli.Result r = demo("demo_counts", "--naive");
        assertThat(r.exitCode()).as(r.toString()).isEqualTo(1);
        var report = Json.MAPPER.readTree(r.out());
        Map<String, long[]> live = new HashMap<>();
        String step = null;
        Pattern versionFigures = Pattern.compile("(\\d{3}_\\w+): (\\d+) req \\([^)]*\\), (\\d+) failed");
        for (String line : r.err().lines().toList()) {
            if (line.startsWith("==> ")) step = line.substring(4);
            else if (line.isEmpty() && step != null && line.isBlank()) step = null;
            else if (step != null && line.startsWith("    ")) {
                Matcher m = versionFigures.matcher(line);
                while (m.find()) {
                    long[] sums = live.computeIfAbsent(step + " / " + m.group(1), k -> new long[2]);
                    sums[0] += Long.parseLong(m.group(2));
                    sums[1] += Long.parseLong(m.group(3));
                }
            }
        }
        Map<String, long[]> reported = new HashMap<>();
        long failed = 0;
        for (var s : report.get("steps")) {
            long stepFailed = s.get("failed").asLong();
            failed += stepFailed;
            var byVersion = s.get("requests_by_version");
            byVersion.fieldNames().forEachRemaining(v -> reported.put(s.get("step").asText() + " / " + v,
                    new long[]{byVersion.get(v).asLong(), 0}));
            // Failures are per step in the report: put them on the step's versions' sum below.
            long liveFailed = live.entrySet().stream().filter(e -> e.getKey().startsWith(s.get("step").asText() + " / "))
                    .mapToLong(e -> e.getValue()[1]).sum();
            assertThat(liveFailed).as("failures the live lines showed in " + s.get("step")).isEqualTo(stepFailed);
        }
        Map<String, Long> liveRequests = new HashMap<>();
        live.forEach((k, v) -> liveRequests.put(k, v[0]));
        Map<String, Long> reportedRequests = new HashMap<>();
        reported.forEach((k, v) -> { if (v[0] > 0) reportedRequests.put(k, v[0]); });
        assertThat(liveRequests).isEqualTo(reportedRequests);
        assertThat(failed).isPositive().isEqualTo(report.get("failed_requests").asLong());

        assertThat(r.err()).contains("before: users(id bigint, name text").contains("after:  users(id bigint, username text")
                .contains("shed         requests the load balancer dropped").contains("lock waits   times a Tandem DDL statement")
                // Whole step names in the table, never clipped.
                .contains("naive: ALTER TABLE in one transaction while 001_identity serves ");
    }
}
