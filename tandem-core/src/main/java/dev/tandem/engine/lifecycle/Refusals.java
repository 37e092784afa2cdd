package dev.tandem.engine.lifecycle;

import dev.tandem.TandemException;

/** The one way a lifecycle command says no: {@link TandemException.Kind#REFUSED}, nothing changed by the refusal. */
final class Refusals {
    private Refusals() {
    }

    static TandemException refused(String message) {
        return new TandemException(TandemException.Kind.REFUSED, message);
    }
}
