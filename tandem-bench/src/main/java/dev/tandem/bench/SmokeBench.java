package dev.tandem.bench;

import java.time.Duration;
import java.util.List;
import java.util.Set;

/**
 * All three benchmarks, tiny (10k rows, one run, windows of 2 s or less), against one server: it proves in CI that they
 * still run against the current core and print their figures. Its numbers mean nothing.
 */
final class SmokeBench {
    static final Set<String> OPTIONS = Set.of();

    private final BenchDatabase db;
    private final Report report;

    SmokeBench(BenchDatabase db, Report report) {
        this.db = db;
        this.report = report;
    }

    void run() throws Exception {
        report.line("smoke: tiny sizes, one run each; checks that the benchmarks work, not how fast anything is.");
        Duration window = Duration.ofSeconds(2);
        Duration warmup = Duration.ofMillis(200);
        new BackfillBench(db, report, new BackfillBench.Settings(List.of(10_000L), 1, List.of(BackfillBench.DEFAULT_TARGET_MS),
                List.of("pages", "key"))).run();
        // Half a second per measurement: triggers has 22 of them, and the smoke run must stay well under a minute.
        new TriggersBench(db, report, new TriggersBench.Settings(10_000, 1, 2, Duration.ofMillis(500),
                Duration.ofMillis(500), Duration.ofMillis(100))).run();
        new OltpBench(db, report, new OltpBench.Settings(10_000, 1, 2, window, warmup, 80, List.of(), List.of(), List.of(), 0)).run();
    }
}
