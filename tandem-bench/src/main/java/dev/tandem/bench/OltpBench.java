package dev.tandem.bench;

import dev.tandem.Tandem;
import dev.tandem.TandemListener;
import org.HdrHistogram.Histogram;

import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.ToDoubleFunction;
import java.util.function.UnaryOperator;

/**
 * What a running backfill does to the application's latency. Old-version clients run point reads and point
 * updates by primary key while (1) nothing else runs, (2) an unthrottled backfill (huge fixed batches) runs,
 * (3) Tandem's default adaptive backfill runs, and optionally (4) the adaptive backfill under Tandem's rate limit
 * ({@code --max-rows-per-second}). In every scenario the migration is already expanded, so the sync trigger is
 * present in all of them and only the backfill differs.
 *
 * <p>With a backfill, the measured window is the backfill's lifetime, capped at the duration: latency after the
 * backfill ended would dilute what it caused. The report gives each window's length.
 */
final class OltpBench {
    static final Set<String> OPTIONS = Set.of("rows", "runs", "threads", "duration-s", "warmup-s", "read-pct",
            "max-rows-per-second", "target-batch-ms", "nice-ratio", "ops-per-second");
    static final double TARGET_P99_RATIO = 1.5;

    /**
     * @param rateLimits   extra scenarios: the adaptive backfill capped at each of these rows/s (Tandem's own limit)
     * @param targetBatches extra scenarios: the adaptive backfill aiming at each of these batch durations (ms)
     * @param niceRatios   extra scenarios: the adaptive backfill yielding with each of these nice ratios (0: never)
     * @param opsPerSecond 0: closed loop (clients as fast as they can); otherwise an open-loop arrival rate
     */
    record Settings(long rows, int runs, int threads, Duration duration, Duration warmup, int readPercent,
                    List<Long> rateLimits, List<Long> targetBatches, List<Double> niceRatios, long opsPerSecond) {
    }

    static Settings settings(Options o) {
        Settings s = new Settings(o.count("rows", 1_000_000), o.integer("runs", 3), o.integer("threads", 4),
                o.seconds("duration-s", 10), o.seconds("warmup-s", 1), o.integer("read-pct", 80),
                o.counts("max-rows-per-second", List.of()), o.counts("target-batch-ms", List.of()),
                o.decimals("nice-ratio", List.of()), o.count("ops-per-second", 0));
        for (double r : s.niceRatios) if (r < 0 || r > 100) throw new IllegalArgumentException("--nice-ratio must be 0..100");
        for (long r : s.rateLimits) if (r > Integer.MAX_VALUE) throw new IllegalArgumentException("--max-rows-per-second is too large");
        if (s.runs < 1 || s.runs > 100) throw new IllegalArgumentException("--runs must be 1..100");
        if (s.threads < 1 || s.threads > 64) throw new IllegalArgumentException("--threads must be 1..64");
        if (s.readPercent > 100) throw new IllegalArgumentException("--read-pct must be 0..100");
        return s;
    }

    private record Scenario(String name, boolean backfill, boolean rateLimited, UnaryOperator<Tandem.Config> config) {
    }

    private static final List<Scenario> FIXED = List.of(
            new Scenario("no backfill", false, false, c -> c),
            // What a hand-written "UPDATE ... WHERE id BETWEEN" loop with big batches and no pauses amounts to.
            new Scenario("unthrottled backfill (50,000-row batches)", true, false,
                    c -> c.targetBatch(Duration.ofMinutes(10)).batchSize(50_000, 50_000).niceRatio(0)),
            new Scenario("adaptive backfill (defaults)", true, false, c -> c));

    private List<Scenario> scenarios() {
        List<Scenario> all = new ArrayList<>(FIXED);
        for (long r : settings.rateLimits) {
            all.add(new Scenario("adaptive backfill, max " + Report.count(r) + " rows/s", true, true,
                    c -> c.maxRowsPerSecond((int) r)));
        }
        for (long ms : settings.targetBatches) {
            all.add(new Scenario("adaptive backfill, target batch " + ms + " ms", true, false,
                    c -> c.targetBatch(Duration.ofMillis(ms))));
        }
        for (double r : settings.niceRatios) {
            all.add(new Scenario("adaptive backfill, nice ratio " + Report.decimal(r, 1) + (r == 0 ? " (never yields)" : ""),
                    true, false, c -> c.niceRatio(r)));
        }
        return all;
    }

    private static final int READ = 0;
    private static final int UPDATE = 1;

    /**
     * Reads and updates apart: in the closed loop reads never wait for the backfill's row locks, so they show CPU and
     * I/O contention alone (in the open loop a read can queue behind its client's waiting update).
     *
     * @param backfillRows rows the backfill had done when the window closed (its rate while it was measured)
     */
    private record Measured(Histogram latency, Histogram reads, Histogram updates, double opsPerSecond, double window,
                            long backfillRows) {
    }

    private final BenchDatabase db;
    private final Report report;
    private final Settings settings;

    OltpBench(BenchDatabase db, Report report, Settings settings) {
        this.db = db;
        this.report = report;
        this.settings = settings;
    }

    void run() throws Exception {
        report.title("oltp: " + settings.threads + " clients, " + settings.readPercent + "% point reads / "
                + (100 - settings.readPercent) + "% point updates, up to " + settings.duration.toMillis() / 1000.0
                + " s per scenario (after " + settings.warmup.toMillis() / 1000.0 + " s warm-up), table of "
                + Report.count(settings.rows) + " rows, runs " + settings.runs + ", "
                + (settings.opsPerSecond == 0 ? "closed loop (each client as fast as it can)"
                : "open loop at " + Report.count(settings.opsPerSecond) + " statements/s (latency counted from when each was due)"));
        report.line("Latency of each statement as the client sees it (ms). p99 ratio = p99 / p99 with no backfill"
                + " (same run); figures are medians over runs; window = measured seconds (backfill lifetime, capped);"
                + " backfill rows/s = rows it had done when the window closed / window.");
        report.line("Reads never wait for row locks: a read p99 that rises with the backfill means CPU or I/O contention;"
                + " an update p99 that rises further also includes waits for the backfill batch's row locks.");
        Map<String, List<Measured>> all = new LinkedHashMap<>();
        Map<String, List<Double>> ratios = new LinkedHashMap<>();
        for (Scenario s : scenarios()) {
            all.put(s.name, new ArrayList<>());
            ratios.put(s.name, new ArrayList<>());
        }
        for (int run = 1; run <= settings.runs; run++) {
            double idleP99 = Double.NaN;
            for (Scenario s : scenarios()) {
                Measured m = measure(s);
                double p99 = m.latency.getValueAtPercentile(99);
                if (!s.backfill) idleP99 = p99;
                all.get(s.name).add(m);
                report.progress("run " + run + ", " + s.name + ": p50 " + Report.ms(m.latency.getValueAtPercentile(50))
                        + " ms, p99 " + Report.ms(p99) + " ms (reads " + Report.ms(m.reads.getValueAtPercentile(99))
                        + ", updates " + Report.ms(m.updates.getValueAtPercentile(99)) + "), " + Report.count(m.opsPerSecond)
                        + " ops/s, window " + Report.decimal(m.window, 1) + " s");
                ratios.get(s.name).add(p99 / idleP99);
            }
        }
        List<String> header = new ArrayList<>(List.of("scenario"));
        for (int run = 1; run <= settings.runs; run++) header.add("run " + run + " p99");
        header.addAll(List.of("p50", "p99", "max", "read p99", "update p99", "ops/s", "window s", "backfill rows/s",
                "p99 ratio", ""));
        List<List<String>> rows = new ArrayList<>();
        for (Scenario s : scenarios()) {
            List<Measured> ms = all.get(s.name);
            List<String> row = new ArrayList<>(List.of(s.name));
            for (Measured m : ms) row.add(Report.ms(m.latency.getValueAtPercentile(99)));
            row.add(Report.ms(median(ms, m -> (double) m.latency.getValueAtPercentile(50))));
            row.add(Report.ms(median(ms, m -> (double) m.latency.getValueAtPercentile(99))));
            row.add(Report.ms(median(ms, m -> (double) m.latency.getMaxValue())));
            row.add(Report.ms(median(ms, m -> (double) m.reads.getValueAtPercentile(99))));
            row.add(Report.ms(median(ms, m -> (double) m.updates.getValueAtPercentile(99))));
            row.add(Report.count(median(ms, Measured::opsPerSecond)));
            row.add(Report.decimal(median(ms, Measured::window), 1));
            row.add(s.backfill ? Report.count(median(ms, m -> m.backfillRows / m.window)) : "-");
            double ratio = Report.median(ratios.get(s.name));
            row.add(Report.decimal(ratio, 2));
            row.add(s.backfill ? Report.verdict(ratio, TARGET_P99_RATIO, false) : "baseline");
            rows.add(row);
        }
        report.line("");
        report.table(header, rows);
    }

    private static double median(List<Measured> ms, ToDoubleFunction<Measured> f) {
        return Report.median(ms.stream().map(f::applyAsDouble).toList());
    }

    private Measured measure(Scenario s) throws Exception {
        try (BenchTable t = BenchTable.create(db, "oltp")) {
            t.load(settings.rows);
            t.writeAddColumnMigration();
            AtomicLong rowsDone = new AtomicLong();
            AtomicLong rowsInWindow = new AtomicLong();
            // Progress comes once per batch; what it says when the window closes is the backfill's rate while measured.
            TandemListener progress = new TandemListener() {
                @Override
                public void backfillProgress(String migration, String table, long done, long total, double rowsPerSecond) {
                    rowsDone.set(done);
                }
            };
            Tandem tandem = t.tandem(c -> s.config.apply(c.listener(progress)));
            tandem.expand();
            db.settle(t.qualified());
            CompletableFuture<Double> backfill = new CompletableFuture<>();
            ClientLoad.Window window = () -> {
                if (!s.backfill) {
                    Thread.sleep(settings.duration.toMillis());
                    return;
                }
                // A plain thread, not the common pool: the backfill must not share threads with anything else.
                Thread worker = new Thread(() -> {
                    long t0 = System.nanoTime();
                    try {
                        tandem.backfill();
                        backfill.complete((System.nanoTime() - t0) / 1e9);
                    } catch (Throwable e) {
                        backfill.completeExceptionally(e);
                    }
                }, "bench-backfill");
                worker.start();
                try {
                    backfill.get(settings.duration.toMillis(), TimeUnit.MILLISECONDS);
                    rowsInWindow.set(rowsDone.get());
                } catch (TimeoutException stillRunning) {
                    rowsInWindow.set(rowsDone.get());
                    // The window is over; the backfill finishes after the clients stop, without its rate limit:
                    // what it does after the window is not measured, and a slow finish would only cost time.
                    if (s.rateLimited) tandem.backfillRate(null);
                }
            };
            ClientLoad.Result r = ClientLoad.run(t.oldVersion(), settings.threads, settings.warmup, window,
                    settings.opsPerSecond, c -> {
                PreparedStatement read = c.prepareStatement("SELECT id, a, payload FROM t WHERE id = ?");
                PreparedStatement write = c.prepareStatement("UPDATE t SET a = ? WHERE id = ?");
                return random -> {
                    long id = 1 + random.nextLong(settings.rows);
                    if (random.nextInt(100) < settings.readPercent) {
                        read.setLong(1, id);
                        try (ResultSet rs = read.executeQuery()) {
                            if (!rs.next()) throw new IllegalStateException("row " + id + " is missing");
                        }
                        return READ;
                    } else {
                        write.setInt(1, random.nextInt(1_000_000));
                        write.setLong(2, id);
                        if (write.executeUpdate() != 1) throw new IllegalStateException("row " + id + " is missing");
                        return UPDATE;
                    }
                };
            });
            // Bounded: the backfill walks a fixed key range; its own retry deadline bounds any waiting.
            if (s.backfill) backfill.get();
            return new Measured(r.latency(), r.byKind().get(READ), r.byKind().get(UPDATE), r.opsPerSecond(), r.seconds(),
                    rowsInWindow.get());
        }
    }
}
