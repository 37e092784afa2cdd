package dev.tandem.engine;

import java.time.Duration;

/**
 * When the backfill steps aside for the applications. Before each batch it counts the other sessions the database
 * reports running a statement, smoothed over the last batches; while that stays up, each batch is followed by a
 * sleep of {@code niceRatio} times its own duration, as gh-ost's nice-ratio does, but only under traffic: on a quiet
 * database the backfill runs at full speed. The two thresholds keep a single passing query from switching the
 * state at every batch.
 *
 * <p>Why sleep instead of only shortening batches: on a server whose CPUs the applications already use, a backfill
 * that runs all the time takes a CPU from them however short its batches are; every query that waits for it counts
 * in their p99. Sleeping hands that share back. Batches get shorter too while yielding (a fifth of the target, at
 * least 5 ms): the same share in shorter bursts lets shorter queues build up behind each one.
 */
final class Yield {
    private static final double WEIGHT = 0.2;
    private static final double BUSY = 0.3;
    private static final double QUIET = 0.1;
    private static final Duration MIN_TARGET = Duration.ofMillis(5);

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

    /** What {@code status} shows while the backfill yields. */
    String reason() {
        return String.format(java.util.Locale.ROOT, "yielding to the applications (about %.1f other sessions active):"
                + " sleeping %s times each batch's duration (--nice-ratio), batches of a fifth of --target-batch", active,
                trim(niceRatio));
    }

    /** The batch duration to aim at: {@code target}, or a fifth of it (at least 5 ms) while yielding. */
    Duration target(Duration target) {
        if (!busy) return target;
        Duration shorter = target.dividedBy(5).compareTo(MIN_TARGET) > 0 ? target.dividedBy(5) : MIN_TARGET;
        return shorter.compareTo(target) < 0 ? shorter : target;
    }

    /** How long to sleep after a batch that took {@code batch}. */
    Duration after(Duration batch) {
        return busy ? Duration.ofNanos(Math.round(batch.toNanos() * niceRatio)) : Duration.ZERO;
    }

    private static String trim(double d) {
        return d == Math.rint(d) ? Long.toString((long) d) : Double.toString(d);
    }
}
