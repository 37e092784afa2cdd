package dev.tandem;

import dev.tandem.engine.Step;
import dev.tandem.state.Phase;

import java.time.Duration;

/**
 * What Tandem reports while it works. The library never prints; the CLI turns these into log lines, progress
 * bars or JSON events. Every method has an empty default, so a listener implements only what it shows.
 */
public interface TandemListener {
    TandemListener NONE = new TandemListener() {
    };

    default void phaseStarted(String migration, Phase phase, int steps, int alreadyDone) {
    }

    default void stepStarted(String migration, Phase phase, int index, int total, Step step) {
    }

    default void stepSkipped(String migration, Phase phase, int index, int total, Step step) {
    }

    default void stepFinished(String migration, Phase phase, int index, int total, Step step, Duration took) {
    }

    /** A step could not get its lock in time (or lost a deadlock) and will be tried again after {@code wait}. */
    default void stepRetry(String migration, Step step, int attempt, Duration wait, String reason) {
    }

    /**
     * An in-place step (an index build, a rebuild) is not started while other sessions' long transactions may hold its
     * table ({@code why} names them, with how to end them); it has waited {@code heldFor} so far and is tried again when
     * they end. Told when the transactions change, and every 10 s while they do not.
     */
    default void stepHeldBack(String migration, Step step, String why, Duration heldFor) {
    }

    default void phaseFinished(String migration, Phase phase, Duration took) {
    }

    default void backfillProgress(String migration, String table, long rowsDone, long rowsTotal, double rowsPerSecond) {
    }

    default void message(String text) {
    }
}
