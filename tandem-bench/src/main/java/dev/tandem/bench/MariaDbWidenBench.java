package dev.tandem.bench;

import org.HdrHistogram.Histogram;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;

/**
 * Issue 12's MariaDB figure: {@code t.n} goes from INT to BIGINT on a table of {@code --rows} rows while the
 * application runs a steady {@code --rate} read-write transactions per second, made by each contender on a fresh copy
 * of the table in the same run: the server's ALTER (which copies), pt-online-schema-change, and Tandem (expand,
 * backfill, upgrade, contract); one plain UPDATE of every row gives the rows/s the backfill is held to. For each: the
 * load's errors and its max and p99 latency while the change ran, and the rows/s of the copy or backfill. Afterwards
 * every row the load wrote is read back as the application sees the table, so a lost write is reported too.
 */
final class MariaDbWidenBench {
    static final Set<String> OPTIONS = Set.of("rows", "rate", "clients", "contenders", "baseline-s");
    /** Tandem's targets (issue 12): no error, no transaction slower than this, a backfill this fast relative to UPDATE. */
    static final double TARGET_MAX_MS = 100;
    static final double TARGET_BACKFILL_RATIO = 0.8;

    /** Every contender, in the order they run, by the word that selects it. */
    private static final Map<String, Supplier<WidenContender>> CONTENDERS = contenders();

    private static Map<String, Supplier<WidenContender>> contenders() {
        Map<String, Supplier<WidenContender>> m = new LinkedHashMap<>();
        m.put("update", PlainUpdate::new);
        m.put("alter", () -> new NativeAlter("alter", null));
        m.put("alter-shared", () -> new NativeAlter("alter-shared", "ALGORITHM=COPY, LOCK=SHARED"));
        m.put("pt-osc", PtOnlineSchemaChange::new);
        m.put("tandem", () -> new TandemWiden("tandem", "Tandem", c -> c));
        // The backfill at full speed: the defaults yield to a busy server (nice ratio 4), which caps their rows/s.
        m.put("tandem-nice-0", () -> new TandemWiden("tandem-nice-0", "Tandem, nice ratio 0", c -> c.niceRatio(0)));
        // One worker is held below a plain UPDATE by the trigger firing per row and the done flag; two fill at once.
        m.put("tandem-workers-2", () -> new TandemWiden("tandem-workers-2", "Tandem, 2 workers, nice ratio 0",
                c -> c.niceRatio(0).workers(2)));
        m.put("tandem-workers-2-nice", () -> new TandemWiden("tandem-workers-2-nice", "Tandem, 2 workers", c -> c.workers(2)));
        return m;
    }

    /** Lines of errors the report shows per contender: enough to see every kind a change causes. */
    private static final int MAX_ERROR_KINDS = 20;

    /** Phases of the load that are not the change. */
    private static final String WARM_UP = "warm-up";
    private static final String BEFORE = "before";
    private static final String AFTER = "after";

    /**
     * @param rate     transactions per second of the load, all clients together
     * @param baseline how long the load runs before the change (measured: the idle figures) and after it
     */
    record Settings(long rows, double rate, int clients, List<String> contenders, Duration baseline) {
    }

    static Settings settings(Options o) {
        List<String> keys = new ArrayList<>();
        for (String k : o.string("contenders", String.join(",", CONTENDERS.keySet())).split(",")) {
            String key = k.trim();
            if (!CONTENDERS.containsKey(key)) {
                throw new IllegalArgumentException("--contenders takes " + String.join(", ", CONTENDERS.keySet()) + ", not " + k);
            }
            keys.add(key);
        }
        Settings s = new Settings(o.count("rows", 1_000_000), o.decimals("rate", List.of(100.0)).get(0), o.integer("clients", 4),
                keys, o.seconds("baseline-s", 5));
        if (s.rows > 100_000_000L) throw new IllegalArgumentException("--rows above 100M is not supported");
        if (s.rate <= 0 || s.rate > 10_000) throw new IllegalArgumentException("--rate must be in (0, 10000] transactions/s");
        if (s.clients < 1 || s.clients > 64) throw new IllegalArgumentException("--clients must be 1..64");
        if (s.rows < s.clients) throw new IllegalArgumentException("--rows must be at least --clients");
        return s;
    }

    /** What one contender did: its change (null when it failed or could not run) and the load's phases. */
    private record Result(WidenContender contender, WidenContender.Change change, String failure,
                          List<SteadyLoad.Phase> phases, List<String> problems, int rowsChecked, String typeAfter) {
        List<SteadyLoad.Phase> changePhases() {
            return phases.stream().filter(p -> !Set.of(WARM_UP, BEFORE, AFTER).contains(p.name)).toList();
        }

        SteadyLoad.Phase phase(String name) {
            return phases.stream().filter(p -> p.name.equals(name)).findFirst().orElse(null);
        }
    }

    private static final AtomicInteger counter = new AtomicInteger();

    private final MariaDbBenchServer server;
    private final Report report;
    private final Settings settings;

    MariaDbWidenBench(MariaDbBenchServer server, Report report, Settings settings) {
        this.server = server;
        this.report = report;
        this.settings = settings;
    }

    void run() throws Exception {
        report.title("mariadb-widen: t.n INT -> BIGINT on " + Report.count(settings.rows) + " rows under "
                + Report.decimal(settings.rate, 0) + " transactions/s");
        report.line("Table t(id BIGINT AUTO_INCREMENT PRIMARY KEY, n INT NOT NULL, payload VARCHAR(100) NOT NULL), freshly"
                + " loaded for each contender, settled (ANALYZE, dirty pages flushed) before the load starts.");
        report.line("Load: " + settings.clients + " clients start " + Report.decimal(settings.rate, 0) + " transactions/s"
                + " together on a fixed schedule (open loop); each reads a random row by id, sets its n, and one in "
                + PointWrites.INSERT_EVERY + " inserts a row; then COMMIT. Latency counts from when a transaction was due.");
        report.line("Each contender: " + warmUp().toMillis() / 1000.0 + " s warm-up, " + settings.baseline.toMillis() / 1000.0 + " s before (the idle figures),"
                + " the change, " + settings.baseline.toMillis() / 1000.0 + " s after. 'during' = the transactions due while"
                + " the change ran; rows/s = " + Report.count(settings.rows) + " rows / seconds of the copy or backfill.");
        report.line("Afterwards every row the load updated or inserted is read back as the application then sees t.");
        PtOnlineSchemaChange.find().ifPresent(p -> report.line("pt-online-schema-change: " + p));
        Path workDir = Files.createDirectories(Path.of("target", "mariadb-widen-" + ProcessHandle.current().pid()).toAbsolutePath());
        List<Result> results = new ArrayList<>();
        for (String key : settings.contenders) {
            Result r = measure(CONTENDERS.get(key).get(), workDir);
            results.add(r);
            SteadyLoad.Phase during = merged(r.changePhases());
            report.progress(r.contender.label() + ": " + (r.failure != null ? "FAILED: " + Report.firstLine(r.failure)
                    : Report.decimal(seconds(r.changePhases()), 1) + " s, errors " + during.errors()
                    + ", max " + Report.ms(during.latency().getMaxValue()) + " ms"));
        }
        summary(results);
        phases(results);
        details(results);
        verdict(results);
    }

    private Result measure(WidenContender contender, Path workDir) throws Exception {
        if (contender.unavailable().isPresent()) {
            return new Result(contender, null, contender.unavailable().get(), List.of(), List.of(), 0, "-");
        }
        String db = "bench_widen_" + ProcessHandle.current().pid() + "_" + counter.incrementAndGet();
        String table = MariaDbBenchServer.quote(db) + ".t";
        List<String> databases = new ArrayList<>(List.of(db));
        databases.addAll(contender.createdDatabases(db));
        try {
            report.progress(contender.label() + ": loading " + Report.count(settings.rows) + " rows");
            load(db, table);
            contender.prepare(server, table);
            server.settle(db);
            PointWrites writes = new PointWrites(settings.rows, settings.clients);
            SteadyLoad load = new SteadyLoad(settings.clients, settings.rate, server.dataSource(db), WARM_UP, writes);
            WidenContender.Change change = null;
            String failure = null;
            List<SteadyLoad.Phase> phases;
            try {
                Thread.sleep(warmUp().toMillis());
                load.phase(BEFORE);
                Thread.sleep(settings.baseline.toMillis());
                report.progress(contender.label() + ": changing");
                try {
                    change = contender.change(new WidenContender.Context(server, db, settings.rows, load, report, workDir));
                } catch (Exception e) {
                    failure = describe(e);
                }
                load.phase(AFTER);
                Thread.sleep(settings.baseline.toMillis());
            } finally {
                phases = load.stop();
                contender.close();
            }
            // A contender that failed may have left the application on either side: read it where the change began.
            String readFrom = failure == null ? contender.applicationDatabase(db) : db;
            String type = server.text("SELECT COLUMN_TYPE FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = "
                    + MariaDbBenchServer.literal(readFrom) + " AND TABLE_NAME = 't' AND COLUMN_NAME = 'n'");
            List<String> problems = writes.verify(server.dataSource(readFrom));
            if (failure == null && contender.changesType() && (type == null || !type.startsWith("bigint"))) {
                problems = new ArrayList<>(problems);
                problems.add("n is " + type + " after the change, not bigint");
            }
            return new Result(contender, change, failure, phases, problems, writes.rowsWritten(), type);
        } finally {
            server.dropDatabases(databases.toArray(String[]::new));
        }
    }

    /** Not measured: the clients' first connections and the JIT. A second is enough; tiny smoke runs take less. */
    private Duration warmUp() {
        return settings.baseline.compareTo(Duration.ofSeconds(1)) < 0 ? settings.baseline : Duration.ofSeconds(1);
    }

    /**
     * The table, filled in one statement per 100,000 rows (MariaDB's sequence engine makes the rows). The ids are
     * given: AUTO_INCREMENT reserves ids for INSERT ... SELECT in growing blocks and would leave gaps between the
     * statements, where the load looks for rows 1 to {@code rows}.
     */
    private void load(String db, String table) throws Exception {
        server.exec("CREATE DATABASE " + MariaDbBenchServer.quote(db));
        server.exec("CREATE TABLE " + table + " (id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY, n INT NOT NULL,"
                + " payload VARCHAR(100) NOT NULL) ENGINE=InnoDB");
        for (long from = 1; from <= settings.rows; from += 100_000) {
            long to = Math.min(settings.rows, from + 99_999);
            server.exec("INSERT INTO " + table + " (id, n, payload) SELECT seq, seq % 1000000, RPAD(MD5(seq), 100, MD5(seq + 1))"
                    + " FROM " + MariaDbBenchServer.quote(db) + ".seq_" + from + "_to_" + to);
        }
        long count = server.scalar("SELECT COUNT(*) FROM " + table + " WHERE id BETWEEN 1 AND " + settings.rows);
        if (count != settings.rows) throw new IllegalStateException("loaded " + count + " rows, expected " + settings.rows);
    }

    private void summary(List<Result> results) {
        report.line("");
        report.line("The load while each change ran (ms; 'before' = the same load before the change, same table):");
        List<String> header = List.of("contender", "change s", "errors", "p99", "max", "before p99", "before max",
                "rows/s", "x UPDATE", "writes");
        double update = updateRate(results);
        List<List<String>> rows = new ArrayList<>();
        for (Result r : results) {
            if (r.change == null) {
                rows.add(List.of(r.contender.label(), "-", r.phases.isEmpty() ? "-" : String.valueOf(merged(r.changePhases()).errors()),
                        "-", "-", "-", "-", "-", "-", r.phases.isEmpty() ? "not run" : "FAILED"));
                continue;
            }
            SteadyLoad.Phase during = merged(r.changePhases());
            Histogram d = during.latency();
            Histogram b = r.phase(BEFORE).latency();
            double rate = settings.rows / r.change.copySeconds();
            rows.add(List.of(r.contender.label(), Report.decimal(seconds(r.changePhases()), 1), String.valueOf(during.errors()),
                    Report.ms(d.getValueAtPercentile(99)), Report.ms(d.getMaxValue()),
                    Report.ms(b.getValueAtPercentile(99)), Report.ms(b.getMaxValue()),
                    Report.count(rate), Report.decimal(rate / update, 2),
                    r.problems.isEmpty() ? "all " + Report.count(r.rowsChecked) + " read back" : "LOST"));
        }
        report.table(header, rows);
    }

    private void phases(List<Result> results) {
        report.line("");
        report.line("Per phase (transactions due during it; ms):");
        List<List<String>> rows = new ArrayList<>();
        for (Result r : results) {
            for (SteadyLoad.Phase p : r.phases) {
                if (p.name.equals(WARM_UP)) continue;
                Histogram h = p.latency();
                rows.add(List.of(r.contender.label(), p.name, Report.decimal(p.seconds(), 1), Report.count(h.getTotalCount()),
                        String.valueOf(p.errors()), Report.ms(h.getValueAtPercentile(50)), Report.ms(h.getValueAtPercentile(99)),
                        Report.ms(h.getMaxValue())));
            }
        }
        report.table(List.of("contender", "phase", "s", "committed", "errors", "p50", "p99", "max"), rows);
    }

    private void details(List<Result> results) {
        report.line("");
        for (Result r : results) {
            report.line(r.contender.label() + ":");
            if (r.change != null) for (String n : r.change.notes()) report.line("  " + n);
            if (r.failure != null) report.line("  " + (r.phases.isEmpty() ? "not run: " : "FAILED: ") + r.failure.replace("\n", "\n  "));
            if (!r.phases.isEmpty()) report.line("  n afterwards: " + r.typeAfter);
            int shown = 0;
            int more = 0;
            for (SteadyLoad.Phase p : r.phases) {
                for (Map.Entry<String, Long> kind : p.errorKinds().entrySet()) {
                    if (shown++ < MAX_ERROR_KINDS) report.line("  " + kind.getValue() + " x during " + p.name + ": " + kind.getKey());
                    else more++;
                }
            }
            if (more > 0) report.line("  ... and " + more + " more (phase, error) pairs");
            for (String problem : r.problems) report.line("  WRITES: " + problem);
        }
    }

    /** Issue 12's targets, for Tandem; the other contenders' figures are there to compare. */
    private void verdict(List<Result> results) {
        for (Result r : results) {
            if (!(r.contender instanceof TandemWiden)) continue;
            report.line("");
            if (r.change == null) {
                report.line(r.contender.label() + ": no figure (" + (r.failure == null ? "not run" : "failed") + "), targets not checked");
                continue;
            }
            SteadyLoad.Phase during = merged(r.changePhases());
            double ratio = settings.rows / r.change.copySeconds() / updateRate(results);
            report.line(r.contender.label() + ": errors " + during.errors() + " (target 0: " + (during.errors() == 0 ? "meets" : "MISSES")
                    + "); max " + Report.ms(during.latency().getMaxValue()) + " ms ("
                    + Report.verdict(during.latency().getMaxValue() / 1e6, TARGET_MAX_MS, false) + " ms); backfill / UPDATE rows/s "
                    + Report.decimal(ratio, 2) + " (" + Report.verdict(ratio, TARGET_BACKFILL_RATIO, true) + ")"
                    + (r.problems.isEmpty() ? "" : "; WRITES LOST"));
        }
    }

    private double updateRate(List<Result> results) {
        for (Result r : results) {
            if (r.contender instanceof PlainUpdate && r.change != null) return settings.rows / r.change.copySeconds();
        }
        return Double.NaN;
    }

    /** The phases as one: their latencies merged, their errors summed. */
    private static SteadyLoad.Phase merged(List<SteadyLoad.Phase> phases) {
        return SteadyLoad.Phase.merge("during", phases);
    }

    private static double seconds(List<SteadyLoad.Phase> phases) {
        return phases.stream().mapToDouble(SteadyLoad.Phase::seconds).sum();
    }

    /** The exception and its causes, one message each, as a failure reads in the report. */
    private static String describe(Throwable e) {
        StringBuilder sb = new StringBuilder();
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (sb.length() > 0) sb.append("\ncaused by: ");
            sb.append(t.getClass().getSimpleName()).append(": ").append(t.getMessage());
            if (t.getCause() == t) break;
        }
        return sb.toString();
    }
}
