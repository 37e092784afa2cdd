package dev.tandem.bench;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * CI's guard that the benchmarks still run against the current core: the tiny {@code smoke} run must finish and
 * print figures for all three benchmarks. It never asserts a speed: CI machines are too noisy for that, and a
 * slow figure is a finding for docs/BENCHMARKS.md, not a broken build.
 */
class BenchSmokeTest {
    @Test
    @Timeout(value = 3, unit = TimeUnit.MINUTES)
    void smokeRunsAllThreeBenchmarksAndPrintsFigures() {
        MainRun run = MainRun.of("smoke");
        String output = run.output();

        assertThat(run.code()).as(output).isZero();
        assertThat(output)
                .contains("server: embedded PostgreSQL", "settings: ", "fsync=off", "durability: NOT durable")
                .contains("== backfill:", "UPDATE", "backfill 50 ms (default)", "rows/s")
                .contains("== triggers:", "before expand", "twin, never expanded (old)", "expanded", "backfilled", "new version", "ops/s", "vs empty",
                        "Tandem / empty")
                .contains("== oltp:", "no backfill", "adaptive backfill (defaults)", "p99", "read p99", "update p99")
                .contains("smoke finished in")
                .doesNotContain("error:");
        // Every figure row carries a number; a row of dashes would mean a measurement silently produced nothing.
        assertThat(output).containsPattern("UPDATE\\s+[0-9,]+\\s+[0-9,]+");
        assertThat(output).containsPattern("no backfill\\s+[0-9.]+\\s+[0-9.]+\\s+[0-9.]+");
    }

    @Test
    void badArgumentsExitWithTwoBeforeStartingAServer() {
        ByteArrayOutputStream buffer = new ByteArrayOutputStream();
        try (PrintStream out = new PrintStream(buffer, true, StandardCharsets.UTF_8)) {
            assertThat(Main.run(new String[]{"backfill", "--rowz", "10"}, out)).isEqualTo(2);
            assertThat(Main.run(new String[]{"nosuch"}, out)).isEqualTo(2);
            assertThat(Main.run(new String[]{"triggers", "--durable", "--url", "jdbc:postgresql://localhost/x"}, out))
                    .isEqualTo(2);
            assertThat(Main.run(new String[]{"triggers", "--durable=maybe"}, out)).isEqualTo(2);
            assertThat(Main.run(new String[]{"mariadb-widen", "--contenders", "alter,gh-ost"}, out)).isEqualTo(2);
            assertThat(Main.run(new String[]{"mariadb-widen", "--url", "jdbc:mariadb://localhost/x"}, out)).isEqualTo(2);
            assertThat(Main.run(new String[]{"mariadb-widen", "--durable"}, out)).isEqualTo(2);
        }
        assertThat(buffer.toString(StandardCharsets.UTF_8)).contains("unknown option --rowz", "unknown benchmark nosuch",
                "a --url server keeps its owner's settings", "--durable takes no value",
                "--contenders takes update, alter, alter-shared, pt-osc, tandem, tandem-nice-0, tandem-workers-2, tandem-workers-2-nice, not gh-ost", "unknown option --url",
                "mariadb-widen is durable unless --tuned");
    }
}
