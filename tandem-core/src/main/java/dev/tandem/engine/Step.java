package dev.tandem.engine;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonProperty;

import java.util.List;

/**
 * One statement of a phase, with what it costs the application. Steps are idempotent: either the SQL itself
 * is (IF [NOT] EXISTS, OR REPLACE) or {@code skipIf} says when it has already been done, so a crashed phase is
 * simply run again from its last checkpoint.
 *
 * @param locks      per table and view, the strongest lock the statement takes (or why that is unknown)
 * @param effect     what it does to the table's data, and so roughly how long it holds its locks
 * @param skipIf     a query returning one boolean, true when the step is already done; or null
 * @param skipParams text parameters of {@code skipIf}
 * @param mode       how the executor runs it
 * @param repairIf   a query (same parameters as skipIf) true when a failed earlier attempt left debris, or null
 * @param repair     what removes that debris (e.g. drops an index left INVALID by a failed concurrent build)
 */
public record Step(String description, String sql, Locks locks, Effect effect, String skipIf,
                   List<String> skipParams, Mode mode, String repairIf, String repair) {

    /** Raw SQL's locks until something measures them. */
    public static final String NOT_PROBED = "not probed";

    /** What the statement does to the data; says nothing about lock modes, which {@link Locks} gives. */
    public enum Effect {
        METADATA("brief: catalog only"),
        SCAN("grows with the table: scans it"),
        BUILD("grows with the table: builds an index concurrently"),
        REWRITE("grows with the table: rewrites it"),
        UNKNOWN("unknown: raw SQL, run as written");

        public final String text;

        Effect(String text) {
            this.text = text;
        }
    }

    public enum Mode {
        /** In its own short transaction under lock_timeout, retried with back-off. */
        TRANSACTIONAL,
        /** Outside a transaction (CONCURRENTLY); waits for old transactions without blocking the application. */
        CONCURRENT,
        /** In its own transaction with no statement_timeout: a validation scan that takes a weak lock. */
        LONG
    }

    public Step {
        // What people read (plan, progress lines, history) names Tandem's own objects by what they are; the SQL keeps
        // their real names.
        description = Names.describe(description);
        skipParams = skipParams == null ? List.of() : List.copyOf(skipParams);
        if (locks == null) throw new IllegalArgumentException("a step must say what it locks: " + description);
    }

    public Step(String description, String sql, Locks locks, Effect effect, Mode mode) {
        this(description, sql, locks, effect, null, List.of(), mode, null, null);
    }

    public static Step metadata(String description, String sql, Locks locks) {
        return new Step(description, sql, locks, Effect.METADATA, Mode.TRANSACTIONAL);
    }

    /**
     * SQL Tandem did not write: its locks are unknown until measured ({@link #withMeasuredLocks}), and it is
     * never called catalog only.
     */
    public static Step raw(String description, String sql) {
        return new Step(description, sql, Locks.unknown(NOT_PROBED), Effect.UNKNOWN, Mode.TRANSACTIONAL);
    }

    /**
     * Reads stored plans, including those of earlier Tandems, whose steps had one free-text {@code lock} instead
     * of {@code locks}. That text cannot be trusted per table, so such a step's locks are unknown, and the text
     * is kept as the reason so that people still see what was claimed.
     */
    @JsonCreator
    static Step fromJson(@JsonProperty("description") String description, @JsonProperty("sql") String sql,
                         @JsonProperty("locks") Locks locks, @JsonProperty("lock") String legacyLock,
                         @JsonProperty("effect") Effect effect, @JsonProperty("skipIf") String skipIf,
                         @JsonProperty("skipParams") List<String> skipParams, @JsonProperty("mode") Mode mode,
                         @JsonProperty("repairIf") String repairIf, @JsonProperty("repair") String repair) {
        if (locks == null) {
            locks = Locks.unknown(legacyLock == null ? "not recorded"
                    : "planned by an earlier Tandem, which recorded only \"" + legacyLock + "\"");
            // Earlier Tandems called raw SQL "catalog only"; it never was known to be.
            if (legacyLock != null && legacyLock.startsWith("unknown")) effect = Effect.UNKNOWN;
        }
        return new Step(description, sql, locks, effect, skipIf, skipParams, mode, repairIf, repair);
    }

    /** This step with locks measured from outside (e.g. raw SQL run in a rolled-back transaction). */
    public Step withMeasuredLocks(List<TableLock> measured) {
        return withLocks(Locks.measured(measured));
    }

    /** This step with its locks declared unknown, e.g. when a probe could not run the SQL. */
    public Step withUnknownLocks(String reason) {
        return withLocks(Locks.unknown(reason));
    }

    private Step withLocks(Locks l) {
        return new Step(description, sql, l, effect, skipIf, skipParams, mode, repairIf, repair);
    }

    /**
     * Several catalog-only statements as one transaction, so that no application write ever sees the state
     * between them (e.g. the sync trigger gone but the NOT NULL column it filled still there). Re-running is
     * safe without per-statement guards: the checkpoint commits with them, so they ran all or not at all.
     */
    public static Step atomic(String description, List<Step> steps) {
        StringBuilder sql = new StringBuilder();
        StringBuilder what = new StringBuilder(description).append(':');
        Effect effect = Effect.METADATA;
        for (Step s : steps) {
            if (s.mode() != Mode.TRANSACTIONAL) throw new IllegalArgumentException("not transactional: " + s.description());
            if (!sql.isEmpty()) sql.append(";\n");
            sql.append(s.sql());
            what.append("\n  - ").append(s.description());
            if (s.effect() != Effect.METADATA) effect = s.effect();
        }
        // The transaction holds every lock its statements take until it commits: per table, the strongest.
        Locks locks = Locks.sequence(steps.stream().map(Step::locks).toList());
        return new Step(what.toString(), sql.toString(), locks, effect, Mode.TRANSACTIONAL);
    }

    /**
     * This step, not run: what the user chose to leave as it is (raw SQL's down with {@code rollback --leave-raw-sql}).
     * It still counts as a step, so the checkpoint of a rollback resumed later means the same step.
     */
    public Step leftAsItIs(String why) {
        return new Step(why + ": " + description, "SELECT 1", Locks.derived(), Effect.METADATA, Mode.TRANSACTIONAL);
    }

    /**
     * This step, also claiming {@code more}: tables the statement reaches beyond the one it names (a column added to
     * an inheritance parent is added to its children too, under the same lock).
     */
    public Step alsoLocks(List<TableLock> more) {
        if (more.isEmpty() || !locks.known()) return this;
        List<TableLock> all = new java.util.ArrayList<>(locks.tables());
        all.addAll(more);
        return withLocks(new Locks(locks.source(), Locks.merge(all), null));
    }

    public Step skipIf(String query, String... params) {
        return new Step(description, sql, locks, effect, query, List.of(params), mode, repairIf, repair);
    }

    public Step repairIf(String query, String repairSql) {
        return new Step(description, sql, locks, effect, skipIf, skipParams, mode, query, repairSql);
    }
}
