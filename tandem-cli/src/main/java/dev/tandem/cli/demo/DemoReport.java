package dev.tandem.cli.demo;

import com.fasterxml.jackson.annotation.JsonProperty;
import org.HdrHistogram.Histogram;

import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The demo's result: one row per step, the consistency check, and whether anyone noticed the upgrade. The totals
 * are the sums of the rows, which are the live lines' sums: one count, shown three ways.
 */
record DemoReport(String mode, int rows, int nodes, List<StepRow> steps, List<Check> checks, List<String> errorSamples) {

    /** lockWaits is null for a step that ran no Tandem DDL (nothing there could wait for a lock and retry). */
    record StepRow(String step, double seconds, Map<String, Long> requestsByVersion, long failed, long shed, double p50Ms,
                   double p99Ms, double maxMs, Long lockWaits, Double backfillRowsPerSecond) {
    }

    record Check(String what, boolean ok, String detail) {
    }

    /** What each column of the table means, in the order of the columns. */
    static final List<String> LEGEND = List.of(
            "seconds      how long the step took",
            "req NNN      requests that finished in the step, by the version (001, 002) of the node that served them",
            "failed       of those, the requests that got an error; a request counts in the step in which it finished",
            "shed         requests the load balancer dropped because every node was busy until its queue was full",
            "p50/p99/max  latency of the step's requests, both versions together",
            "lock waits   times a Tandem DDL statement gave way after its lock timeout and was retried, instead of",
            "             queueing the service's queries behind it (-: the step ran no Tandem DDL)",
            "backfill/s   rows the backfill filled per second (empty: no backfill in the step)");

    @JsonProperty("failed_requests")
    public long failedRequests() {
        return steps.stream().mapToLong(StepRow::failed).sum();
    }

    @JsonProperty("shed_requests")
    public long shedRequests() {
        return steps.stream().mapToLong(StepRow::shed).sum();
    }

    boolean passed() {
        return failedRequests() == 0 && checks.stream().allMatch(Check::ok);
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
            rows.add(new StepRow(s.name, seconds, requests, failed, s.shed.sum(),
                    Metrics.ms(all.getValueAtPercentile(50)), Metrics.ms(all.getValueAtPercentile(99)), Metrics.ms(all.getMaxValue()),
                    s.ranDdl ? s.lockWaits.get() : null, s.backfillRowsPerSecond > 0 ? s.backfillRowsPerSecond : null));
        }
        return rows;
    }

    void print(PrintWriter out) {
        int width = "step".length();
        for (StepRow r : steps) width = Math.max(width, r.step().length());
        String header = "%-" + width + "s %8s %9s %9s %7s %6s %8s %8s %9s %10s %11s%n";
        String row = "%-" + width + "s %8.1f %9d %9d %7d %6d %8.1f %8.1f %9.1f %10s %11s%n";
        out.println();
        out.printf(header, "step", "seconds", "req " + DemoSchema.V1.substring(0, 3), "req " + DemoSchema.V2.substring(0, 3),
                "failed", "shed", "p50 ms", "p99 ms", "max ms", "lock waits", "backfill/s");
        for (StepRow r : steps) {
            out.printf(row, r.step(), r.seconds(),
                    r.requestsByVersion().getOrDefault(DemoSchema.V1, 0L), r.requestsByVersion().getOrDefault(DemoSchema.V2, 0L),
                    r.failed(), r.shed(), r.p50Ms(), r.p99Ms(), r.maxMs(), r.lockWaits() == null ? "-" : r.lockWaits().toString(),
                    r.backfillRowsPerSecond() == null ? "" : String.format("%.0f", r.backfillRowsPerSecond()));
        }
        out.println();
        LEGEND.forEach(l -> out.println("  " + l));
        out.println();
        for (Check c : checks) out.printf("  [%s] %s%s%n", c.ok() ? " ok " : "FAIL", c.what(), c.detail() == null ? "" : ": " + c.detail());
        if (!errorSamples.isEmpty()) {
            out.println();
            out.println("first failures:");
            errorSamples.forEach(e -> out.println("  " + e));
        }
        out.println();
        out.printf("%s upgrade: %d failed requests, %d shed, rows consistent: %s -> %s%n", mode, failedRequests(), shedRequests(),
                checks.stream().allMatch(Check::ok) ? "yes" : "NO", passed() ? "PASSED (nobody noticed)" : "FAILED");
    }
}
