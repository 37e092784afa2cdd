package dev.tandem.cli.demo;

import org.HdrHistogram.Histogram;

import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/** The demo's result: one row per step, the consistency check, and whether anyone noticed the upgrade. */
record DemoReport(String mode, int rows, int nodes, List<StepRow> steps, List<Check> checks, long failedRequests,
                  long shedRequests, List<String> errorSamples) {

    record StepRow(String step, double seconds, Map<String, Long> requestsByVersion, long failed, double p50Ms,
                   double p99Ms, double maxMs, long lockWaits, Double backfillRowsPerSecond) {
    }

    record Check(String what, boolean ok, String detail) {
    }

    boolean passed() {
        return failedRequests == 0 && checks.stream().allMatch(Check::ok);
    }

    static List<StepRow> rows(List<Metrics.Step> steps) {
        List<StepRow> rows = new ArrayList<>();
        for (Metrics.Step s : steps) {
            Histogram all = new Histogram(3);
            Map<String, Long> requests = new TreeMap<>();
            long failed = 0;
            for (var e : s.versions.entrySet()) {
                all.add(e.getValue().latency);
                requests.put(e.getKey(), e.getValue().requests.sum());
                failed += e.getValue().failures.sum();
            }
            double seconds = ((s.end == 0 ? System.nanoTime() : s.end) - s.start) / 1e9;
            rows.add(new StepRow(s.name, seconds, requests, failed,
                    Metrics.ms(all.getValueAtPercentile(50)), Metrics.ms(all.getValueAtPercentile(99)), Metrics.ms(all.getMaxValue()),
                    s.lockWaits.get(), s.backfillRowsPerSecond > 0 ? s.backfillRowsPerSecond : null));
        }
        return rows;
    }

    void print(PrintWriter out) {
        out.println();
        out.printf("%-46s %8s %9s %9s %7s %8s %8s %9s %6s %11s%n", "step", "seconds", "req 001", "req 002", "failed",
                "p50 ms", "p99 ms", "max ms", "locks", "backfill/s");
        for (StepRow r : steps) {
            out.printf("%-46s %8.1f %9d %9d %7d %8.1f %8.1f %9.1f %6d %11s%n", clip(r.step()), r.seconds(),
                    r.requestsByVersion().getOrDefault(DemoSchema.V1, 0L), r.requestsByVersion().getOrDefault(DemoSchema.V2, 0L),
                    r.failed(), r.p50Ms(), r.p99Ms(), r.maxMs(), r.lockWaits(),
                    r.backfillRowsPerSecond() == null ? "" : String.format("%.0f", r.backfillRowsPerSecond()));
        }
        out.println();
        for (Check c : checks) out.printf("  [%s] %s%s%n", c.ok() ? " ok " : "FAIL", c.what(), c.detail() == null ? "" : ": " + c.detail());
        if (!errorSamples.isEmpty()) {
            out.println();
            out.println("first failures:");
            errorSamples.forEach(e -> out.println("  " + e));
        }
        out.println();
        out.printf("%s upgrade: %d failed requests, %d shed, rows consistent: %s -> %s%n", mode, failedRequests, shedRequests,
                checks.stream().allMatch(Check::ok) ? "yes" : "NO", passed() ? "PASSED (nobody noticed)" : "FAILED");
    }

    private static String clip(String s) {
        return s.length() <= 46 ? s : s.substring(0, 45) + "…";
    }
}
