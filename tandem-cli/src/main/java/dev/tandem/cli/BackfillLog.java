package dev.tandem.cli;

import java.io.PrintWriter;
import java.time.Duration;
import java.util.Locale;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;

/**
 * Backfill progress for logs and pipes: a line every few seconds per table
 * ({@code backfill users: 12,000/50,000 rows (24%), 8,000 rows/s, about 5 s left}) and one when the table is done.
 * A batch that takes long, a pause or a throttle must not look like a hang in a CI log: with no batch finished, a
 * line still comes every {@link #QUIET_LIMIT} ({@code …, no batch finished for 20 s}), from a ticker of its own.
 */
final class BackfillLog implements BackfillProgress {
    static final Duration QUIET_LIMIT = Duration.ofSeconds(10);

    private final PrintWriter err;
    private final LongSupplier nanoTime;
    private final long intervalNanos;
    /** One daemon thread for every log's ticks; a tick is scheduled only while a table is shown. */
    private static final ScheduledExecutorService TICKER = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "tandem-backfill-log");
        t.setDaemon(true);
        return t;
    });
    private final boolean ticking;
    private ScheduledFuture<?> tick;
    private String migration;
    private String table;
    private long startedAt;
    private long doneAtStart;
    private long lastPrinted;
    private long lastUpdate;
    private long done;
    private long total;
    private double rowsPerSecond;

    /** Driven by {@link #update} and by calls of {@link #tick} only: for tests with a clock of their own. */
    BackfillLog(PrintWriter err, LongSupplier nanoTime, long intervalMillis) {
        this(err, nanoTime, intervalMillis, false);
    }

    private BackfillLog(PrintWriter err, LongSupplier nanoTime, long intervalMillis, boolean ticking) {
        this.err = err;
        this.nanoTime = nanoTime;
        this.intervalNanos = intervalMillis * 1_000_000;
        this.ticking = ticking;
    }

    /** Also ticks every second by itself while a table is shown: for the real console. */
    static BackfillLog ticking(PrintWriter err, long intervalMillis) {
        return new BackfillLog(err, System::nanoTime, intervalMillis, true);
    }

    @Override
    public synchronized void update(String migration, String table, long rowsDone, long rowsTotal, double rowsPerSecond) {
        long now = nanoTime.getAsLong();
        if (!table.equals(this.table)) {
            endTable();
            this.migration = migration;
            this.table = table;
            startedAt = now;
            lastPrinted = now;
            doneAtStart = rowsDone;
            if (ticking) tick = TICKER.scheduleWithFixedDelay(this::tick, 1, 1, TimeUnit.SECONDS);
        }
        lastUpdate = now;
        done = rowsDone;
        total = Math.max(rowsTotal, rowsDone);
        this.rowsPerSecond = rowsPerSecond;
        if (now - lastPrinted >= intervalNanos && done < total) {
            lastPrinted = now;
            err.println(progressLine(""));
            err.flush();
        }
    }

    /** Prints the table's line again if nothing was printed for {@link #QUIET_LIMIT}, saying how long no batch ended. */
    synchronized void tick() {
        if (table == null) return;
        long now = nanoTime.getAsLong();
        if (now - lastPrinted < QUIET_LIMIT.toNanos()) return;
        lastPrinted = now;
        err.println(progressLine(", no batch finished for " + Text.duration(Duration.ofNanos(now - lastUpdate))));
        err.flush();
    }

    private String progressLine(String tail) {
        StringBuilder line = new StringBuilder(prefix()).append(Text.rowsOf(done, total)).append(" rows (").append(Text.percent(done, total)).append(')');
        if (rowsPerSecond > 0 && tail.isEmpty()) {
            line.append(", ").append(Text.count(Math.round(rowsPerSecond))).append(" rows/s, about ")
                    .append(Text.eta(Duration.ofMillis((long) ((total - done) / rowsPerSecond * 1000)))).append(" left");
        }
        return line.append(tail).toString();
    }

    @Override
    public synchronized void close() {
        endTable();
    }

    private void endTable() {
        if (tick != null) tick.cancel(false);
        tick = null;
        if (table != null) {
            Duration took = Duration.ofNanos(nanoTime.getAsLong() - startedAt);
            long rows = done - doneAtStart;
            String rate = took.toMillis() > 0 && rows > 0
                    ? String.format(Locale.ROOT, ", %s rows/s", Text.count(Math.round(rows * 1000.0 / took.toMillis()))) : "";
            err.println(prefix() + Text.rowsOf(done, total) + " rows (" + Text.percent(done, total)
                    + ") done in " + Text.duration(took) + rate);
            err.flush();
        }
        table = null;
    }

    private String prefix() {
        return migration + ": backfill " + table + ": ";
    }
}
