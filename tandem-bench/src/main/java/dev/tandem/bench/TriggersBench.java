package dev.tandem.bench;

import dev.tandem.Tandem;

import javax.sql.DataSource;
import java.sql.PreparedStatement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * What the sync trigger costs the application's writes: single-row INSERTs and single-row UPDATEs by primary key
 * (autocommit) by N clients, on the table before expand, after expand before the backfill (the first update of a
 * row then also derives {@code b} from the old row; the clients' own updates fill rows as they go, so this phase
 * drifts towards "backfilled" as it runs), and after backfill (the steady state until contract);
 * old-version clients write through the {@code 001_init} views, new-version clients through {@code 002_add}.
 *
 * <p>Why a twin: on a shared machine throughput drifts by a factor of two within minutes, so "before expand" measured
 * minutes before "after expand" compares two different machines. Each phase therefore measures, interleaved in
 * short slices, the table and an identically loaded twin that is never expanded; the ratio is the table's ops/s
 * over the twin's in the same phase. Before expand the two are identical, so that ratio shows the method's own
 * noise. (The expanded table gets more writes than the twin, old and new version clients; that only makes it
 * bigger, which does not flatter the trigger.)
 *
 * <p>A third table, loaded like the twin, carries a PL/pgSQL trigger that only returns NEW: the floor any
 * trigger-based tool pays (pgroll and Reshape also sync with PL/pgSQL row triggers), before doing anything.
 */
final class TriggersBench {
    static final Set<String> OPTIONS = Set.of("rows", "runs", "threads", "duration-s", "slice-s", "warmup-s");
    /**
     * Tandem's writes over the same writes to the table with an empty PL/pgSQL trigger ({@code RETURN NEW}), same
     * phase and run: the team's target is that the sync trigger costs no more than 5% beyond the bare call.
     */
    static final double TARGET_VS_EMPTY = 0.95;
    private static final String PAYLOAD = "x".repeat(100);

    /** @param duration measured time per phase, writer and operation, split into slices of {@code slice} */
    record Settings(long rows, int runs, int threads, Duration duration, Duration slice, Duration warmup) {
    }

    static Settings settings(Options o) {
        Settings s = new Settings(o.count("rows", 100_000), o.integer("runs", 3), o.integer("threads", 4),
                o.seconds("duration-s", 10), o.seconds("slice-s", 2), o.seconds("warmup-s", 0.5));
        if (s.runs < 1 || s.runs > 100) throw new IllegalArgumentException("--runs must be 1..100");
        if (s.threads < 1 || s.threads > 64) throw new IllegalArgumentException("--threads must be 1..64");
        if (s.rows > Integer.MAX_VALUE) throw new IllegalArgumentException("--rows must fit an int here");
        if (s.slice.compareTo(s.duration) > 0) throw new IllegalArgumentException("--slice-s must not exceed --duration-s");
        return s;
    }

    private enum Version { OLD, NEW }

    private enum Op { INSERT, UPDATE }

    /** Who writes: the twin (never expanded) or the measured table, through the old or the new version's views. */
    private enum Writer {
        TWIN("twin, never expanded (old)"), FLOOR("twin + empty PL/pgSQL trigger"), OLD("old version"),
        NEW("new version");

        final String label;

        Writer(String label) {
            this.label = label;
        }
    }

    private record Phase(String name, List<Writer> writers) {
    }

    private static final List<Phase> PHASES = List.of(
            new Phase("before expand", List.of(Writer.TWIN, Writer.FLOOR, Writer.OLD)),
            // Before the backfill the new version is not ready (its schema does not exist yet): only the previous one writes.
            new Phase("expanded", List.of(Writer.TWIN, Writer.FLOOR, Writer.OLD)),
            new Phase("backfilled", List.of(Writer.TWIN, Writer.FLOOR, Writer.OLD, Writer.NEW)));

    private final BenchDatabase db;
    private final Report report;
    private final Settings settings;

    TriggersBench(BenchDatabase db, Report report, Settings settings) {
        this.db = db;
        this.report = report;
        this.settings = settings;
    }

    void run() throws Exception {
        report.title("triggers: " + settings.threads + " clients, " + seconds(settings.duration) + " s measured per phase,"
                + " writer and operation, in slices of " + seconds(settings.slice) + " s (each after "
                + seconds(settings.warmup) + " s warm-up), tables of " + Report.count(settings.rows) + " rows, runs "
                + settings.runs);
        report.line("Single-row INSERT and single-row UPDATE by primary key, autocommit. ratio = ops/s of the table over"
                + " ops/s of its never-expanded twin in the same phase and run, interleaved; vs empty = ops/s of the table"
                + " over ops/s of the twin with an empty PL/pgSQL trigger (RETURN NEW), same phase and run; figures are"
                + " medians over runs (of the per-run ratios for the ratios).");
        Map<String, List<Double>> rate = new LinkedHashMap<>();
        Map<String, List<Double>> ratio = new LinkedHashMap<>();
        Map<String, List<Double>> vsEmpty = new LinkedHashMap<>();
        for (int run = 1; run <= settings.runs; run++) {
            Map<String, Double> r = oneRun();
            for (Phase p : PHASES) {
                for (Op op : Op.values()) {
                    double twin = r.get(key(p, Writer.TWIN, op));
                    double empty = r.get(key(p, Writer.FLOOR, op));
                    for (Writer w : p.writers) {
                        rate.computeIfAbsent(key(p, w, op), k -> new ArrayList<>()).add(r.get(key(p, w, op)));
                        ratio.computeIfAbsent(key(p, w, op), k -> new ArrayList<>()).add(r.get(key(p, w, op)) / twin);
                        vsEmpty.computeIfAbsent(key(p, w, op), k -> new ArrayList<>()).add(r.get(key(p, w, op)) / empty);
                    }
                }
            }
        }
        List<String> header = new ArrayList<>(List.of("phase", "writer", "op"));
        for (int run = 1; run <= settings.runs; run++) header.add("run " + run + " ops/s");
        header.addAll(List.of("median ops/s", "ratio", "vs empty", ""));
        List<List<String>> rows = new ArrayList<>();
        for (Op op : Op.values()) {
            for (Phase p : PHASES) {
                for (Writer w : p.writers) {
                    String k = key(p, w, op);
                    List<String> row = new ArrayList<>(List.of(p.name, w.label, op.name()));
                    for (double v : rate.get(k)) row.add(Report.count(v));
                    double m = Report.median(ratio.get(k));
                    row.add(Report.count(Report.median(rate.get(k))));
                    double e = Report.median(vsEmpty.get(k));
                    row.add(w == Writer.TWIN ? "1.00" : Report.decimal(m, 2));
                    row.add(w == Writer.FLOOR ? "1.00" : Report.decimal(e, 2));
                    row.add(w == Writer.TWIN ? "baseline" : w == Writer.FLOOR ? "floor: what any PL/pgSQL trigger costs"
                            : p == PHASES.get(0) ? "noise floor: no trigger on either"
                            : "Tandem / empty: " + Report.verdict(e, TARGET_VS_EMPTY, true));
                    rows.add(row);
                }
            }
        }
        report.line("");
        report.table(header, rows);
    }

    private static String key(Phase p, Writer w, Op op) {
        return p.name + "/" + w + "/" + op;
    }

    private static String seconds(Duration d) {
        return Report.decimal(d.toMillis() / 1000.0, 1);
    }

    private Map<String, Double> oneRun() throws Exception {
        Map<String, Double> r = new LinkedHashMap<>();
        try (BenchTable twin = BenchTable.create(db, "trg_twin"); BenchTable floor = BenchTable.create(db, "trg_floor");
             BenchTable t = BenchTable.create(db, "trg")) {
            twin.load(settings.rows);
            floor.load(settings.rows);
            t.load(settings.rows);
            String noop = BenchDatabase.quote(floor.schema) + ".noop";
            db.exec("CREATE FUNCTION " + noop + "() RETURNS trigger LANGUAGE plpgsql AS $$BEGIN RETURN NEW; END$$");
            db.exec("CREATE TRIGGER noop BEFORE INSERT OR UPDATE ON " + floor.qualified() + " FOR EACH ROW EXECUTE FUNCTION "
                    + noop + "()");
            settle(twin, floor, t);
            measure(r, PHASES.get(0), twin, floor, t);
            t.writeAddColumnMigration();
            Tandem tandem = t.tandem(c -> c);
            tandem.expand();
            settle(twin, floor, t);
            measure(r, PHASES.get(1), twin, floor, t);
            tandem.backfill();
            settle(twin, floor, t);
            measure(r, PHASES.get(2), twin, floor, t);
        }
        return r;
    }

    private void settle(BenchTable... tables) throws Exception {
        for (BenchTable t : tables) db.settle(t.qualified());
    }

    /** Slices round-robin over the writers, starting with a different one each slice, so no writer always goes first. */
    private void measure(Map<String, Double> into, Phase phase, BenchTable twin, BenchTable floor, BenchTable t)
            throws Exception {
        int slices = (int) Math.max(1, Math.round((double) settings.duration.toMillis() / settings.slice.toMillis()));
        Map<String, long[]> ops = new LinkedHashMap<>();
        Map<String, double[]> secs = new LinkedHashMap<>();
        int n = phase.writers.size();
        for (int i = 0; i < slices; i++) {
            for (Op op : Op.values()) {
                for (int j = 0; j < n; j++) {
                    Writer w = phase.writers.get((i + j) % n);
                    DataSource ds = switch (w) {
                        case TWIN -> twin.oldVersion();
                        case FLOOR -> floor.oldVersion();
                        case OLD -> t.oldVersion();
                        case NEW -> t.newVersion();
                    };
                    ClientLoad.Result res = slice(ds, op, w == Writer.NEW ? Version.NEW : Version.OLD);
                    ops.computeIfAbsent(key(phase, w, op), k -> new long[1])[0] += res.ops();
                    secs.computeIfAbsent(key(phase, w, op), k -> new double[1])[0] += res.seconds();
                }
            }
        }
        for (String k : ops.keySet()) into.put(k, ops.get(k)[0] / secs.get(k)[0]);
        for (Op op : Op.values()) {
            StringBuilder sb = new StringBuilder(phase.name + " " + op + ":");
            for (Writer w : phase.writers) sb.append(' ').append(w.name().toLowerCase()).append(' ')
                    .append(Report.count(into.get(key(phase, w, op)))).append(" ops/s");
            report.progress(sb.toString());
        }
    }

    private ClientLoad.Result slice(DataSource ds, Op op, Version v) throws Exception {
        return ClientLoad.run(ds, settings.threads, settings.warmup, settings.slice, c -> {
            PreparedStatement ps = c.prepareStatement(sql(op, v));
            return random -> {
                int a = random.nextInt(1_000_000);
                int p = 1;
                ps.setInt(p++, a);
                if (v == Version.NEW) ps.setLong(p++, a * 2L);
                if (op == Op.INSERT) ps.setString(p, PAYLOAD);
                else ps.setLong(p, 1 + random.nextLong(settings.rows));
                if (ps.executeUpdate() != 1) throw new IllegalStateException(op + " did not change one row");
                return 0;
            };
        });
    }

    /** Unqualified names: the connection's search_path picks the version's view, as in an application. */
    private static String sql(Op op, Version v) {
        return switch (op) {
            case INSERT -> v == Version.OLD ? "INSERT INTO t (a, payload) VALUES (?, ?)" : "INSERT INTO t (a, b, payload) VALUES (?, ?, ?)";
            case UPDATE -> v == Version.OLD ? "UPDATE t SET a = ? WHERE id = ?" : "UPDATE t SET a = ?, b = ? WHERE id = ?";
        };
    }
}
