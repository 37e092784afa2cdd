package dev.tandem.engine.lifecycle;

import dev.tandem.Outcome;
import dev.tandem.state.Phase;

import java.util.function.Supplier;

/** Running a phase again when everything is complete is not an error: scripts may repeat themselves. */
public final class NothingToDo extends RuntimeException {
    NothingToDo(String message) {
        super(message, null, false, false);
    }

    /** Runs the command; when there was nothing to do, says so in an outcome that changed nothing. */
    public static Outcome isFine(Supplier<Outcome> command) {
        try {
            return command.get();
        } catch (NothingToDo e) {
            return new Outcome(null, Phase.COMPLETE, false, e.getMessage());
        }
    }
}
