package dev.tandem.bench;

import dev.tandem.Tandem;
import dev.tandem.TandemListener;

import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Tandem's batched backfill against the fastest way to fill a column that ignores availability: one
 * {@code UPDATE t SET b = a * 2} over the whole table. Both start from an identically loaded, vacuumed and
 * checkpointed table, each in a fresh schema; the ratio is taken within one run so that drift on a noisy machine
 * affects both sides alike.
 */
final class BackfillBench {
    static final Set<String> OPTIONS = Set.of("rows", "runs", "target-batch-ms", "walk");
    static final double TARGET_RATIO = 0.8;
    /** Tandem's default target batch duration, so that the report can mark it. */
    static final long DEFAULT_TARGET_MS = 50;

    /** @param walks "pages" (Tandem's default where it can) and/or "key" ({@code Tandem.Config.byKey}) */
    record Settings(List<Long> sizes, int runs, List<Long> targetsMs, List<String> walks) {
    }

    /** One way of backfilling that is measured: a target batch duration and a walk. */
    private record Variant(long targetMs, boolean byKey) {
        String label() {
            return "backfill " + targetMs + " ms" + (byKey ? " by key" : "") + (targetMs == DEFAULT_TARGET_MS && !byKey ? " (default)" : "");
        }
    }

    static Settings settings(Options o) {
        Settings s = new Settings(o.counts("rows", List.of(1_000_000L)), o.integer("runs", 3),
                o.counts("target-batch-ms", List.of(DEFAULT_TARGET_MS)), List.of(o.string("walk", "pages").split(",")));
        check(s);
        return s;
    }

    private List<Variant> variants() {
        List<Variant> out = new ArrayList<>();
        for (long ms : settings.targetsMs) for (String w : settings.walks) out.add(new Variant(ms, w.trim().equals("key")));
        return out;
    }

    private record Fill(double seconds, long batches) {
    }

    private final BenchDatabase db;
    private final Report report;
    private final Settings settings;

    BackfillBench(BenchDatabase db, Report report, Settings settings) {
        this.db = db;
        this.report = report;
        this.settings = settings;
    }

    void run() throws Exception {
        report.title("backfill: rows " + settings.sizes + ", runs " + settings.runs + ", target batch ms " + settings.targetsMs
                + ", walk " + settings.walks);
        report.line("UPDATE = one `UPDATE t SET b = a * 2` after ALTER TABLE ADD COLUMN b bigint;"
                + " backfill = Tandem expand() of add_column b (up: a * 2), then backfill(), timed alone.");
        report.line("Each measurement uses a freshly loaded table (VACUUM ANALYZE + CHECKPOINT before timing)."
                + " ratio = backfill rows/s / UPDATE rows/s of the same run; the median column is the median over runs.");
        Map<Long, Map<String, Double>> mediansBySize = new LinkedHashMap<>();
        for (long rows : settings.sizes) {
            mediansBySize.put(rows, measureSize(rows));
        }
        if (settings.sizes.size() > 1) flatness(mediansBySize);
    }

    private Map<String, Double> measureSize(long rows) throws Exception {
        List<String> labels = new ArrayList<>();
        labels.add("UPDATE");
        for (Variant v : variants()) labels.add(v.label());
        Map<String, List<Double>> rate = new LinkedHashMap<>();
        Map<String, List<Double>> ratio = new LinkedHashMap<>();
        Map<String, List<Double>> batches = new LinkedHashMap<>();
        for (String l : labels) {
            rate.put(l, new ArrayList<>());
            ratio.put(l, new ArrayList<>());
            batches.put(l, new ArrayList<>());
        }
        for (int run = 1; run <= settings.runs; run++) {
            double update = rows / timeUpdate(rows);
            report.progress(Report.count(rows) + " rows, run " + run + ": UPDATE " + Report.count(update) + " rows/s");
            rate.get("UPDATE").add(update);
            ratio.get("UPDATE").add(1.0);
            for (Variant v : variants()) {
                Fill f = timeBackfill(rows, v);
                String l = v.label();
                rate.get(l).add(rows / f.seconds);
                ratio.get(l).add(rows / f.seconds / update);
                batches.get(l).add((double) f.batches);
                report.progress(Report.count(rows) + " rows, run " + run + ": " + l + " " + Report.count(rows / f.seconds)
                        + " rows/s in " + f.batches + " batches");
            }
        }
        List<String> header = new ArrayList<>(List.of("method"));
        for (int run = 1; run <= settings.runs; run++) header.add("run " + run + " rows/s");
        header.addAll(List.of("median rows/s", "median s", "ratio", "batches", "rows/batch", "ms/batch"));
        List<List<String>> table = new ArrayList<>();
        Map<String, Double> medians = new LinkedHashMap<>();
        for (String l : labels) {
            List<String> row = new ArrayList<>(List.of(l));
            for (double v : rate.get(l)) row.add(Report.count(v));
            double m = Report.median(rate.get(l));
            medians.put(l, m);
            double b = Report.median(batches.get(l));
            boolean isUpdate = l.equals("UPDATE");
            row.add(Report.count(m));
            row.add(Report.decimal(rows / m, 2));
            row.add(Report.decimal(Report.median(ratio.get(l)), 2));
            row.add(isUpdate ? "1" : Report.count(b));
            row.add(isUpdate ? Report.count(rows) : Report.count(rows / b));
            row.add(Report.decimal(rows / m * 1000 / (isUpdate ? 1 : b), 1));
            table.add(row);
        }
        report.line("");
        report.line(Report.count(rows) + " rows:");
        report.table(header, table);
        for (Variant v : variants()) {
            String l = v.label();
            report.line("  " + l + ": ratio " + Report.decimal(Report.median(ratio.get(l)), 2) + " "
                    + Report.verdict(Report.median(ratio.get(l)), TARGET_RATIO, true));
        }
        return medians;
    }

    /** Whether rows/s holds as the table grows: the largest size's median against the smallest's. */
    private void flatness(Map<Long, Map<String, Double>> medians) {
        List<Long> sizes = new ArrayList<>(medians.keySet());
        long small = sizes.get(0);
        long large = sizes.get(sizes.size() - 1);
        report.line("");
        report.line("rows/s at " + Report.count(large) + " rows relative to " + Report.count(small) + " rows (1.00 = flat):");
        for (String l : medians.get(small).keySet()) {
            report.line("  " + l + ": " + Report.decimal(medians.get(large).get(l) / medians.get(small).get(l), 2));
        }
    }

    private double timeUpdate(long rows) throws Exception {
        try (BenchTable t = BenchTable.create(db, "upd")) {
            t.load(rows);
            // Catalog-only on PostgreSQL 11+ (no default): the table is the same as the one Tandem's expand leaves,
            // minus Tandem's done-flag column and trigger.
            db.exec("ALTER TABLE " + t.qualified() + " ADD COLUMN b bigint");
            db.settle(t.qualified());
            try (Connection c = db.dataSource().getConnection(); Statement st = c.createStatement()) {
                long t0 = System.nanoTime();
                long n = st.executeUpdate("UPDATE " + t.qualified() + " SET b = a * 2");
                double seconds = (System.nanoTime() - t0) / 1e9;
                if (n != rows) throw new IllegalStateException("UPDATE changed " + n + " rows, expected " + rows);
                return seconds;
            }
        }
    }

    private Fill timeBackfill(long rows, Variant v) throws Exception {
        try (BenchTable t = BenchTable.create(db, "bf")) {
            t.load(rows);
            t.writeAddColumnMigration();
            AtomicLong batches = new AtomicLong();
            // Tandem reports progress once per batch (the last batch through the final report): counting the calls
            // counts batches without reaching into the state schema.
            TandemListener counter = new TandemListener() {
                @Override
                public void backfillProgress(String migration, String table, long rowsDone, long rowsTotal, double rowsPerSecond) {
                    batches.incrementAndGet();
                }
            };
            Tandem tandem = t.tandem(c -> c.targetBatch(Duration.ofMillis(v.targetMs())).byKey(v.byKey()).listener(counter));
            tandem.expand();
            db.settle(t.qualified());
            long t0 = System.nanoTime();
            tandem.backfill();
            double seconds = (System.nanoTime() - t0) / 1e9;
            long wrong = db.scalar("SELECT count(*) FROM " + t.qualified() + " WHERE b IS DISTINCT FROM a * 2");
            if (wrong != 0) throw new IllegalStateException("backfill left " + wrong + " rows with b <> a * 2");
            return new Fill(seconds, batches.get());
        }
    }

    static void check(Settings s) {
        if (s.runs < 1 || s.runs > 100) throw new IllegalArgumentException("--runs must be 1..100");
        for (long r : s.sizes) if (r > 200_000_000L) throw new IllegalArgumentException("--rows above 200M is not supported");
        for (String w : s.walks) {
            if (!w.trim().equals("pages") && !w.trim().equals("key")) throw new IllegalArgumentException("--walk takes pages and/or key, not " + w);
        }
        for (long ms : s.targetsMs) if (ms > 600_000) throw new IllegalArgumentException("--target-batch-ms above 600000 is not supported");
    }
}
