package dev.tandem.state;

import java.util.Arrays;

/** Where a migration is in its life. Every phase ending in -ing is one a crash can leave behind; run the command again. */
public enum Phase {
    PENDING("pending"),
    EXPANDING("expanding"),
    EXPANDED("expanded"),
    BACKFILLING("backfilling"),
    BACKFILLED("backfilled"),
    CONTRACTING("contracting"),
    COMPLETE("complete"),
    ROLLING_BACK("rolling_back"),
    ROLLED_BACK("rolled_back");

    public final String text;

    Phase(String text) {
        this.text = text;
    }

    public static Phase of(String text) {
        return Arrays.stream(values()).filter(p -> p.text.equals(text)).findFirst()
                .orElseThrow(() -> new IllegalArgumentException("unknown phase " + text));
    }

    /** Expanded and not yet contracted or rolled back: both versions may be running. */
    public boolean inFlight() {
        return this == EXPANDING || this == EXPANDED || this == BACKFILLING || this == BACKFILLED
                || this == CONTRACTING || this == ROLLING_BACK;
    }

    @Override
    public String toString() {
        return text;
    }
}
