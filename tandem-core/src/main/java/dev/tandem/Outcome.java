package dev.tandem;

import dev.tandem.state.Phase;

/** What a lifecycle command did: which migration, the phase it is in now, and a sentence for people. */
public record Outcome(String migration, Phase phase, boolean changed, String message) {
}
