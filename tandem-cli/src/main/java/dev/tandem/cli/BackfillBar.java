package dev.tandem.cli;

import me.tongfei.progressbar.ConsoleProgressBarConsumer;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;

import java.io.PrintWriter;
import java.time.Duration;

/** A progress bar per table on the terminal: rows done / total, rows/s and the time left. */
final class BackfillBar implements BackfillProgress {
    private final PrintWriter err;
    private String table;
    private ProgressBar bar;

    BackfillBar(PrintWriter err) {
        this.err = err;
    }

    @Override
    public synchronized void update(String migration, String table, long rowsDone, long rowsTotal, double rowsPerSecond) {
        if (!table.equals(this.table)) {
            close();
            err.flush();
            this.table = table;
            bar = new ProgressBarBuilder()
                    .setTaskName(table)
                    .setInitialMax(Math.max(rowsTotal, rowsDone))
                    .startsFrom(rowsDone, Duration.ZERO)
                    .setUnit(" rows", 1)
                    .showSpeed()
                    .setStyle(ProgressBarStyle.COLORFUL_UNICODE_BLOCK)
                    .setUpdateIntervalMillis(250)
                    .setConsumer(new ConsoleProgressBarConsumer(System.err))
                    .build();
        }
        bar.maxHint(Math.max(rowsTotal, rowsDone));
        bar.stepTo(rowsDone);
    }

    @Override
    public synchronized void close() {
        if (bar != null) {
            bar.close();
            bar = null;
        }
        table = null;
    }
}
