package dev.tandem.bench;

import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * {@code --name value} options. Unknown names are an error rather than ignored: a mistyped option would otherwise
 * silently produce a benchmark of something else.
 */
final class Options {
    private final Map<String, String> values = new LinkedHashMap<>();

    private Options() {
    }

    static Options parse(List<String> args, Set<String> allowed) {
        return parse(args, allowed, Set.of());
    }

    /** {@code flags} are options that take no value ({@code --durable}); they read as "true" when given. */
    static Options parse(List<String> args, Set<String> allowed, Set<String> flags) {
        Options o = new Options();
        for (int i = 0; i < args.size(); i++) {
            String a = args.get(i);
            if (!a.startsWith("--")) throw new IllegalArgumentException("unexpected argument: " + a);
            String name = a.substring(2);
            String value;
            int eq = name.indexOf('=');
            if (eq >= 0) {
                value = name.substring(eq + 1);
                name = name.substring(0, eq);
            } else if (flags.contains(name)) {
                value = "true";
            } else {
                if (i + 1 >= args.size()) throw new IllegalArgumentException("option --" + name + " needs a value");
                value = args.get(++i);
            }
            if (!allowed.contains(name) && !flags.contains(name)) {
                throw new IllegalArgumentException("unknown option --" + name + " (known: --" + String.join(", --", allowed)
                        + (flags.isEmpty() ? "" : ", --" + String.join(", --", flags)) + ")");
            }
            if (flags.contains(name) && !value.equals("true") && !value.equals("false")) {
                throw new IllegalArgumentException("--" + name + " takes no value (or =true / =false), got " + value);
            }
            o.values.put(name, value);
        }
        return o;
    }

    String string(String name, String fallback) {
        return values.getOrDefault(name, fallback);
    }

    boolean flag(String name) {
        return Boolean.parseBoolean(values.getOrDefault(name, "false"));
    }

    long count(String name, long fallback) {
        String v = values.get(name);
        return v == null ? fallback : parseCount(name, v);
    }

    int integer(String name, int fallback) {
        long v = count(name, fallback);
        if (v > Integer.MAX_VALUE) throw new IllegalArgumentException("--" + name + " is too large: " + v);
        return (int) v;
    }

    List<Long> counts(String name, List<Long> fallback) {
        String v = values.get(name);
        if (v == null) return fallback;
        List<Long> out = new ArrayList<>();
        for (String part : v.split(",")) out.add(parseCount(name, part.trim()));
        return out;
    }

    /** A comma-separated list of numbers such as {@code 0,1.5,3}. */
    List<Double> decimals(String name, List<Double> fallback) {
        String v = values.get(name);
        if (v == null) return fallback;
        List<Double> out = new ArrayList<>();
        for (String part : v.split(",")) {
            try {
                out.add(Double.parseDouble(part.trim()));
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("--" + name + " expects numbers such as 0,1.5,3, got " + v);
            }
        }
        return out;
    }

    Duration seconds(String name, double fallback) {
        String v = values.get(name);
        double s;
        try {
            s = v == null ? fallback : Double.parseDouble(v);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("--" + name + " expects seconds, got " + v);
        }
        if (s <= 0 || s > 3600) throw new IllegalArgumentException("--" + name + " must be in (0, 3600] seconds, got " + v);
        return Duration.ofMillis(Math.round(s * 1000));
    }

    /** Accepts 1000000, 1_000_000, 1000k and 1M: row counts are easier to type and read that way. */
    private static long parseCount(String name, String raw) {
        String v = raw.replace("_", "").toLowerCase();
        long unit = 1;
        if (v.endsWith("k")) {
            unit = 1_000;
            v = v.substring(0, v.length() - 1);
        } else if (v.endsWith("m")) {
            unit = 1_000_000;
            v = v.substring(0, v.length() - 1);
        }
        try {
            long n = Long.parseLong(v) * unit;
            if (n < 1) throw new NumberFormatException();
            return n;
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("--" + name + " expects a positive number, got " + raw);
        }
    }
}
