package dev.tandem.bench;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * {@code Main <backfill|triggers|oltp|smoke|mariadb-widen> [--option value ...]}. Exit code 0 whatever the figures are
 * (slowness is reported, not failed), 1 when a benchmark could not run, 2 for bad arguments.
 */
public final class Main {
    private static final Set<String> CONNECTION = Set.of("url", "user", "password");
    private static final String MARIADB_WIDEN = "mariadb-widen";

    private Main() {
    }

    public static void main(String[] args) {
        int code = run(args, System.out);
        // Only on failure: exec:java runs us inside Maven's JVM, which must be allowed to finish normally.
        if (code != 0) System.exit(code);
    }

    static int run(String[] args, PrintStream out) {
        if (args.length == 0 || args[0].equals("--help") || args[0].equals("help")) {
            usage(out);
            return args.length == 0 ? 2 : 0;
        }
        String name = args[0];
        List<String> rest = Arrays.asList(args).subList(1, args.length);
        Options options;
        try {
            if (name.equals(MARIADB_WIDEN) && rest.contains("--durable")) {
                throw new IllegalArgumentException(MARIADB_WIDEN + " is durable unless --tuned; --durable is for PostgreSQL's benchmarks");
            }
            options = Options.parse(rest, allowed(name), flags(name));
            if (options.flag("durable") && options.string("url", null) != null) {
                throw new IllegalArgumentException("--durable starts the embedded server with PostgreSQL's durability"
                        + " defaults; a --url server keeps its owner's settings (the header says which they are)");
            }
        } catch (IllegalArgumentException e) {
            out.println("error: " + e.getMessage());
            usage(out);
            return 2;
        }
        Report report = new Report(out);
        try {
            // Settings are checked before a server is started, so a typo costs no time.
            Benchmark<?> b = prepare(name, options);
            b.run(report, name, args);
            return 0;
        } catch (IllegalArgumentException e) {
            out.println("error: " + e.getMessage());
            return 2;
        } catch (Exception e) {
            out.println("error: " + name + " failed: " + e);
            e.printStackTrace(out);
            return 1;
        }
    }

    /** A benchmark with its settings, and the server it runs against (started when it runs, closed after). */
    private record Benchmark<S extends BenchServer>(ServerStarter<S> server, Run<S> run) {
        void run(Report report, String name, String[] args) throws Exception {
            try (S s = server.start()) {
                header(report, name, args, s);
                long t0 = System.nanoTime();
                run.run(s, report);
                report.line("");
                report.line(name + " finished in " + Report.decimal((System.nanoTime() - t0) / 1e9, 1) + " s; load average now "
                        + loadAverage());
            }
        }
    }

    @FunctionalInterface
    private interface ServerStarter<S extends BenchServer> {
        S start() throws Exception;
    }

    @FunctionalInterface
    private interface Run<S extends BenchServer> {
        void run(S server, Report report) throws Exception;
    }

    private static Benchmark<?> prepare(String name, Options o) {
        ServerStarter<BenchDatabase> postgres = () -> o.string("url", null) != null
                ? BenchDatabase.external(o.string("url", null), o.string("user", null), o.string("password", null))
                : BenchDatabase.embedded(o.flag("durable"));
        return switch (name) {
            case "backfill" -> {
                BackfillBench.Settings s = BackfillBench.settings(o);
                yield new Benchmark<>(postgres, (db, r) -> new BackfillBench(db, r, s).run());
            }
            case "triggers" -> {
                TriggersBench.Settings s = TriggersBench.settings(o);
                yield new Benchmark<>(postgres, (db, r) -> new TriggersBench(db, r, s).run());
            }
            case "oltp" -> {
                OltpBench.Settings s = OltpBench.settings(o);
                yield new Benchmark<>(postgres, (db, r) -> new OltpBench(db, r, s).run());
            }
            case "smoke" -> new Benchmark<>(postgres, (db, r) -> new SmokeBench(db, r).run());
            case MARIADB_WIDEN -> {
                MariaDbWidenBench.Settings s = MariaDbWidenBench.settings(o);
                yield new Benchmark<>(() -> MariaDbBenchServer.start(o.flag("tuned")), (db, r) -> new MariaDbWidenBench(db, r, s).run());
            }
            default -> throw new IllegalArgumentException("unknown benchmark " + name);
        };
    }

    private static Set<String> allowed(String name) {
        Set<String> s = new HashSet<>(CONNECTION);
        switch (name) {
            case "backfill" -> s.addAll(BackfillBench.OPTIONS);
            case "triggers" -> s.addAll(TriggersBench.OPTIONS);
            case "oltp" -> s.addAll(OltpBench.OPTIONS);
            case "smoke" -> s.addAll(SmokeBench.OPTIONS);
            // Embedded only: pt-online-schema-change and the settle step need a server the benchmark may configure.
            case MARIADB_WIDEN -> {
                return new HashSet<>(MariaDbWidenBench.OPTIONS);
            }
            default -> throw new IllegalArgumentException("unknown benchmark " + name + " (backfill, triggers, oltp, smoke, "
                    + MARIADB_WIDEN + ")");
        }
        return s;
    }

    /** Options without a value: PostgreSQL's benchmarks are tuned unless --durable, MariaDB's durable unless --tuned. */
    private static Set<String> flags(String name) {
        return name.equals(MARIADB_WIDEN) ? Set.of("tuned") : Set.of("durable");
    }

    /** Figures without the machine and server they came from cannot be compared with anything. */
    private static void header(Report report, String name, String[] args, BenchServer db) throws Exception {
        report.line("tandem-bench " + String.join(" ", args));
        report.line("date: " + ZonedDateTime.now().format(DateTimeFormatter.RFC_1123_DATE_TIME));
        report.line("machine: " + Runtime.getRuntime().availableProcessors() + " CPUs (" + cpuModel() + "), "
                + memory() + " RAM, Java " + System.getProperty("java.version") + ", " + System.getProperty("os.name")
                + " " + System.getProperty("os.arch"));
        report.line("load average at start: " + loadAverage() + " (other processes on a shared machine skew every figure)");
        for (String line : db.describe()) report.line(line);
    }

    private static String loadAverage() {
        try {
            String[] f = Files.readString(Path.of("/proc/loadavg")).trim().split("\\s+");
            return f[0] + " " + f[1] + " " + f[2];
        } catch (IOException | RuntimeException e) {
            return "unknown";
        }
    }

    private static String cpuModel() {
        try {
            return Files.readAllLines(Path.of("/proc/cpuinfo")).stream().filter(l -> l.startsWith("model name"))
                    .map(l -> l.substring(l.indexOf(':') + 1).trim()).findFirst().orElse("unknown model");
        } catch (IOException | RuntimeException e) {
            return "unknown model";
        }
    }

    private static String memory() {
        try {
            String total = Files.readAllLines(Path.of("/proc/meminfo")).stream().filter(l -> l.startsWith("MemTotal:"))
                    .findFirst().orElseThrow();
            long kb = Long.parseLong(total.replaceAll("\\D", ""));
            return Report.decimal(kb / 1024.0 / 1024.0, 1) + " GiB";
        } catch (IOException | RuntimeException e) {
            return "unknown";
        }
    }

    private static void usage(PrintStream out) {
        out.println("""
                usage: Main <benchmark> [options]
                  backfill  --rows 1000000[,10000000]  --target-batch-ms 50[,200,1000]  --runs 3  --walk pages[,key]
                  triggers  --rows 100000  --threads 4  --duration-s 10  --slice-s 2  --warmup-s 0.5  --runs 3
                  oltp      --rows 1000000  --threads 4  --read-pct 80  --duration-s 10  --warmup-s 1  --runs 3
                            [--max-rows-per-second 20000,50000]  (extra scenarios: Tandem's rate limit)
                            [--target-batch-ms 20,50]  (extra scenarios: shorter batches)
                            [--nice-ratio 0,1]  (extra scenarios: other nice ratios; 0 never yields)
                            [--ops-per-second 5000]  (open loop: a fixed arrival rate, not clients as fast as they can)
                  smoke     (10k rows, one run, short windows; for CI)
                  mariadb-widen  --rows 1000000  --rate 100  --clients 4  --baseline-s 5
                            --contenders update,alter,alter-shared,pt-osc,tandem,tandem-nice-0  [--tuned]
                            INT -> BIGINT under a steady load on embedded MariaDB: the server's ALTER, pt-online-schema-change
                            and Tandem, each on a fresh copy; durable (flush at commit, sync_binlog=1) unless --tuned
                PostgreSQL benchmarks: --durable  the embedded server keeps PostgreSQL's durability defaults (fsync,
                            synchronous_commit, full_page_writes on) instead of fsync and synchronous_commit off
                PostgreSQL benchmarks: --url jdbc:postgresql://host/db [--user u --password p] instead of an embedded server
                row counts accept 1000k / 1M; exit code 0 whatever the figures, 1 on errors, 2 on bad arguments""");
    }
}
