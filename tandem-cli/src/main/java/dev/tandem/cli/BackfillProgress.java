package dev.tandem.cli;

import java.io.PrintWriter;

/** Shows how far the backfill of each table is, one table after the other. */
interface BackfillProgress extends AutoCloseable {
    void update(String migration, String table, long rowsDone, long rowsTotal, double rowsPerSecond);

    /** Ends the display of the current table; safe to call more than once. */
    @Override
    void close();

    /** A progress bar when a person watches a terminal, otherwise a log line every 2 s (every 10 s while no batch ends). */
    static BackfillProgress forConsole(PrintWriter err) {
        return System.console() != null ? new BackfillBar(err) : BackfillLog.ticking(err, 2_000);
    }
}
