package dev.tandem.bench;

import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Prints figures as aligned plain-text tables, so that a run's output can be pasted into docs/BENCHMARKS.md as it
 * is. Numbers are formatted with a fixed locale: a report must read the same on every machine.
 */
final class Report {
    private final PrintStream out;

    Report(PrintStream out) {
        this.out = out;
    }

    void title(String text) {
        out.println();
        out.println("== " + text + " ==");
    }

    void line(String text) {
        out.println(text);
    }

    /**
     * A sign of life during long runs, on stderr so that stdout holds only the report. Timestamped, because the
     * time a step took is itself worth seeing when a figure looks odd.
     */
    void progress(String text) {
        System.err.println("# " + java.time.LocalTime.now().withNano(0) + " " + text);
    }

    /** The first column is left-aligned (labels), the others right-aligned (numbers). */
    void table(List<String> header, List<List<String>> rows) {
        int[] width = new int[header.size()];
        List<List<String>> all = new ArrayList<>();
        all.add(header);
        all.addAll(rows);
        for (List<String> r : all) {
            for (int i = 0; i < r.size(); i++) width[i] = Math.max(width[i], r.get(i).length());
        }
        for (int k = 0; k < all.size(); k++) {
            List<String> r = all.get(k);
            StringBuilder sb = new StringBuilder();
            for (int i = 0; i < r.size(); i++) {
                if (i > 0) sb.append("  ");
                String cell = r.get(i);
                String pad = " ".repeat(width[i] - cell.length());
                sb.append(i == 0 ? cell + pad : pad + cell);
            }
            out.println(sb.toString().stripTrailing());
            if (k == 0) {
                StringBuilder rule = new StringBuilder();
                for (int i = 0; i < width.length; i++) rule.append(i > 0 ? "  " : "").append("-".repeat(width[i]));
                out.println(rule);
            }
        }
    }

    /**
     * A server message's first line, without the MariaDB driver's {@code (conn=N)} prefix (so that the same error on
     * two connections reads the same), cut at 160 characters.
     */
    static String firstLine(String message) {
        if (message == null) return "";
        String line = message.lines().findFirst().orElse("").replaceFirst("^\\(conn=\\d+\\) ", "");
        return line.length() > 160 ? line.substring(0, 160) + "..." : line;
    }

    static double median(List<Double> values) {
        if (values.isEmpty()) return Double.NaN;
        List<Double> s = new ArrayList<>(values);
        s.sort(null);
        int n = s.size();
        return n % 2 == 1 ? s.get(n / 2) : (s.get(n / 2 - 1) + s.get(n / 2)) / 2;
    }

    /** Whole numbers with thousands separators: rows/s and ops/s. */
    static String count(double v) {
        return Double.isNaN(v) ? "-" : String.format(Locale.ROOT, "%,.0f", v);
    }

    static String decimal(double v, int digits) {
        return Double.isNaN(v) ? "-" : String.format(Locale.ROOT, "%." + digits + "f", v);
    }

    static String ms(double nanos) {
        return Double.isNaN(nanos) ? "-" : String.format(Locale.ROOT, "%.2f", nanos / 1e6);
    }

    /** Slowness is reported, never fatal: the words say whether a target is met, the exit code stays 0. */
    static String verdict(double value, double target, boolean atLeast) {
        if (Double.isNaN(value)) return "no figure";
        boolean met = atLeast ? value >= target : value <= target;
        return (met ? "meets" : "MISSES") + " target " + (atLeast ? ">= " : "<= ") + decimal(target, 2);
    }
}
