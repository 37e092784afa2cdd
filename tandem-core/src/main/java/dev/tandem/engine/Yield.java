package dev.tandem.engine;

import java.time.Duration;

/**
 * When the backfill steps aside for the applications. Before each batch it counts the other sessions the database
 * reports running a statement, smoothed over the last batches; while that stays up, each batch is followed by a
 * sleep of {@code niceRatio} times its own duration, as gh-ost's nice-ratio does, but only under traffic: on a quiet
 * database the backfill runs at full speed. The two thresholds keep a single passing query from switching the
 * state at every batch.
 *
 * <p>Why sleep instead of shortening batches: on a server whose CPUs the applications already use, a backfill that
 * runs all the time takes a CPU from them however short its batches are; every query that waits for it counts in
 * their p99. Sleeping hands that share back. Shorter batches at the same share were worse (tandem-bench oltp, closed
 * loop: p99 1.85x idle with 10 ms batches against 1.33x with 50 ms, same run): each wake-up of the backfill's
 * backend preempts an application's, so more bursts hit more queries.
 *
 * <p>The smoothing is slow on purpose: at a few thousand short statements a second, most single samples see no
 * other session active, and a fast average flapped between busy and quiet.
 */
final class Yield {
    private static final double WEIGHT = 0.05;
    private static final double BUSY = 0.15;
    private static final double QUIET = 0.03;

    private final double niceRatio;
    private double active;
    private boolean busy;

    Yield(double niceRatio) {
        this.niceRatio = niceRatio;
    }

    boolean enabled() {
        return niceRatio > 0;
    }

    /** @param otherActive sessions running a statement just now, Tandem's own not counted */
    void sample(int otherActive) {
        active = active * (1 - WEIGHT) + otherActive * WEIGHT;
        if (!busy && active >= BUSY) busy = true;
        else if (busy && active < QUIET) busy = false;
    }

    boolean busy() {
        return busy;
    }

    /** The smoothed count of other sessions running a statement, for the debug log. */
    double active() {
        return active;
    }

    /** What {@code status} shows while the backfill yields. */
    String reason() {
        return String.format(java.util.Locale.ROOT, "yielding to the applications (about %.1f other sessions active):"
                + " sleeping %s times each batch's duration (--nice-ratio)", active, trim(niceRatio));
    }

    /** How long to sleep after a batch that took {@code batch}. */
    Duration after(Duration batch) {
        return busy ? Duration.ofNanos(Math.round(batch.toNanos() * niceRatio)) : Duration.ZERO;
    }

    private static String trim(double d) {
        return d == Math.rint(d) ? Long.toString((long) d) : Double.toString(d);
    }
}
