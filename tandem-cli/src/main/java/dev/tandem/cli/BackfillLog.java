package dev.tandem.cli;

import java.io.PrintWriter;
import java.time.Duration;
import java.util.Locale;
import java.util.function.LongSupplier;

/**
 * Backfill progress for logs and pipes: a line every few seconds per table
 * ({@code backfill users: 12,000/50,000 rows (24%), 8,000 rows/s, about 5 s left}) and one when the table is done.
 */
final class BackfillLog implements BackfillProgress {
    private final PrintWriter err;
    private final LongSupplier nanoTime;
    private final long intervalNanos;
    private String migration;
    private String table;
    private long startedAt;
    private long doneAtStart;
    private long lastPrinted;
    private long done;
    private long total;

    BackfillLog(PrintWriter err, LongSupplier nanoTime, long intervalMillis) {
        this.err = err;
        this.nanoTime = nanoTime;
        this.intervalNanos = intervalMillis * 1_000_000;
    }

    @Override
    public synchronized void update(String migration, String table, long rowsDone, long rowsTotal, double rowsPerSecond) {
        long now = nanoTime.getAsLong();
        if (!table.equals(this.table)) {
            close();
            this.migration = migration;
            this.table = table;
            startedAt = now;
            lastPrinted = now;
            doneAtStart = rowsDone;
        }
        done = rowsDone;
        total = Math.max(rowsTotal, rowsDone);
        if (now - lastPrinted >= intervalNanos && done < total) {
            lastPrinted = now;
            StringBuilder line = new StringBuilder(prefix()).append(Text.count(done)).append('/').append(Text.count(total))
                    .append(" rows (").append(Text.percent(done, total)).append(')');
            if (rowsPerSecond > 0) {
                line.append(", ").append(Text.count(Math.round(rowsPerSecond))).append(" rows/s, about ")
                        .append(Text.eta(Duration.ofMillis((long) ((total - done) / rowsPerSecond * 1000)))).append(" left");
            }
            err.println(line);
            err.flush();
        }
    }

    @Override
    public synchronized void close() {
        if (table != null) {
            Duration took = Duration.ofNanos(nanoTime.getAsLong() - startedAt);
            long rows = done - doneAtStart;
            String rate = took.toMillis() > 0 && rows > 0
                    ? String.format(Locale.ROOT, ", %s rows/s", Text.count(Math.round(rows * 1000.0 / took.toMillis()))) : "";
            err.println(prefix() + Text.count(done) + "/" + Text.count(total) + " rows (" + Text.percent(done, total)
                    + ") done in " + Text.duration(took) + rate);
            err.flush();
        }
        table = null;
    }

    private String prefix() {
        return migration + ": backfill " + table + ": ";
    }
}
