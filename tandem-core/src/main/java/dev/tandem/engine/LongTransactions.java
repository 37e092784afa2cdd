package dev.tandem.engine;

import dev.tandem.dialect.Dialect.OpenTransaction;

import java.util.List;
import java.util.stream.Collectors;

/** How people read the long transactions a step waits for: which connection, whose, for how long. */
final class LongTransactions {
    private LongTransactions() {
    }

    /**
     * {@code connection 12 (app@10.0.0.5:41822) has had a transaction open for 14 s that may hold the table}, several
     * joined by "and".
     */
    static String describe(List<OpenTransaction> open, boolean inPlace) {
        String each = open.stream().map(t -> "connection " + t.connection() + " (" + login(t) + ") has had a transaction"
                + " open for " + t.open().toSeconds() + " s").collect(Collectors.joining(", "));
        return each + (open.size() == 1 ? " that may hold the table" : ", each of which may hold the table")
                + (inPlace ? " (an in-place change started now could not take its lock at its start or its end)"
                : " (a change waiting for its lock now would hold up the table's readers and writers behind it)");
    }

    /** The statements that end the connections, e.g. {@code KILL CONNECTION 12}. */
    static String endThem(List<OpenTransaction> open) {
        return open.stream().map(OpenTransaction::endIt).collect(Collectors.joining("; "));
    }

    private static String login(OpenTransaction t) {
        if (t.user() == null) return "connection gone";
        return t.user() + "@" + (t.host() == null || t.host().isEmpty() ? "unknown host" : t.host());
    }
}
