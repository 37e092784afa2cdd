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
 * {@code Main <backfill|triggers|oltp|smoke> [--option value ...]}. Exit code 0 whatever the figures are
 * (slowness is reported, not failed), 1 when a benchmark could not run, 2 for bad arguments.
 */
public final class Main {
    private static final Set<String> CONNECTION = Set.of("url", "user", "password");
    /** Options without a value, for every benchmark. */
    private static final Set<String> FLAGS = Set.of("durable");

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
            options = Options.parse(rest, allowed(name), FLAGS);
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
        String url = options.string("url", null);
        try {
            // Settings are checked before a server is started, so a typo costs no time.
            Benchmark b = prepare(name, options);
            try (BenchDatabase db = url != null
                    ? BenchDatabase.external(url, options.string("user", null), options.string("password", null))
                    : BenchDatabase.embedded(options.flag("durable"))) {
                header(report, name, args, db);
                long t0 = System.nanoTime();
                b.run(db, report);
                report.line("");
                report.line(name + " finished in " + Report.decimal((System.nanoTime() - t0) / 1e9, 1) + " s; load average now "
                        + loadAverage());
            }
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

    @FunctionalInterface
    private interface Benchmark {
        void run(BenchDatabase db, Report report) throws Exception;
    }

    private static Benchmark prepare(String name, Options o) {
        return switch (name) {
            case "backfill" -> {
                BackfillBench.Settings s = BackfillBench.settings(o);
                yield (db, r) -> new BackfillBench(db, r, s).run();
            }
            case "triggers" -> {
                TriggersBench.Settings s = TriggersBench.settings(o);
                yield (db, r) -> new TriggersBench(db, r, s).run();
            }
            case "oltp" -> {
                OltpBench.Settings s = OltpBench.settings(o);
                yield (db, r) -> new OltpBench(db, r, s).run();
            }
            case "smoke" -> (db, r) -> new SmokeBench(db, r).run();
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
            default -> throw new IllegalArgumentException("unknown benchmark " + name + " (backfill, triggers, oltp, smoke)");
        }
        return s;
    }

    /** Figures without the machine and server they came from cannot be compared with anything. */
    private static void header(Report report, String name, String[] args, BenchDatabase db) throws Exception {
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
                every benchmark: --durable  the embedded server keeps PostgreSQL's durability defaults (fsync,
                            synchronous_commit, full_page_writes on) instead of fsync and synchronous_commit off
                every benchmark: --url jdbc:postgresql://host/db [--user u --password p] instead of an embedded server
                row counts accept 1000k / 1M; exit code 0 whatever the figures, 1 on errors, 2 on bad arguments""");
    }
}
