package dev.tandem.cli;

import java.nio.charset.Charset;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;
import java.util.Locale;

/** Small formatting helpers shared by the human outputs. */
final class Text {
    private static final boolean UNICODE = Charset.defaultCharset().newEncoder().canEncode("…—");
    static final String ELLIPSIS = UNICODE ? "…" : "...";
    static final String DASH = UNICODE ? "—" : "-";
    private static final DateTimeFormatter TIME = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss")
            .withZone(ZoneId.systemDefault());

    private Text() {
    }

    /** 12 ms, 1.2 s, 3 min 12 s, 2 h 5 min. */
    static String duration(Duration d) {
        long ms = Math.max(0, d.toMillis());
        if (ms < 1_000) return ms + " ms";
        if (ms < 60_000) return String.format(Locale.ROOT, "%.1f s", ms / 1000.0);
        long s = ms / 1000;
        if (s < 3600) return s / 60 + " min " + s % 60 + " s";
        return s / 3600 + " h " + (s % 3600) / 60 + " min";
    }

    /** A time left, to the second: 42 s, 3 min 12 s. */
    static String eta(Duration d) {
        long s = Math.max(1, Math.round(d.toMillis() / 1000.0));
        return s < 60 ? s + " s" : duration(Duration.ofSeconds(s));
    }

    static String time(Instant t) {
        return t == null ? "" : TIME.format(t);
    }

    static String count(long n) {
        return String.format(Locale.ROOT, "%,d", n);
    }

    /**
     * {@code 4,000/10,000} once the rows done reach the total, {@code 4,000 of about 10,000} before: until a table's
     * backfill ends its total is the catalog's estimate (corrected as a page walk goes), not a count.
     */
    static String rowsOf(long done, long total) {
        return done >= total ? count(done) + "/" + count(total) : count(done) + " of about " + count(total);
    }

    static String percent(long done, long total) {
        if (total <= 0) return "100%";
        return Math.min(100, done * 100 / total) + "%";
    }

    static String padRight(String s, int width) {
        return s.length() >= width ? s : s + " ".repeat(width - s.length());
    }

    /** Every line of {@code text} prefixed with {@code indent}. */
    static String indent(String text, String indent) {
        return indent + text.strip().replace("\n", "\n" + indent);
    }
}
