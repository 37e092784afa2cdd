package dev.tandem.cli;

import dev.tandem.TandemListener;
import dev.tandem.state.Phase;

/** A listener that may hold a display open (a progress bar, an unfinished line) until the command ends. */
interface CliListener extends TandemListener, AutoCloseable {
    CliListener NONE = () -> {
    };

    /** Finishes what is on screen; safe to call more than once. */
    @Override
    void close();

    /** The command a phase belongs to: expand, backfill, contract, rollback. */
    static String verb(Phase phase) {
        return switch (phase) {
            case EXPANDING, EXPANDED -> "expand";
            case BACKFILLING, BACKFILLED -> "backfill";
            case CONTRACTING, COMPLETE -> "contract";
            case ROLLING_BACK, ROLLED_BACK -> "rollback";
            case PENDING -> "plan";
        };
    }
}
