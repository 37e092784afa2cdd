package dev.tandem.engine;

import java.util.List;

/**
 * One statement of a phase, with what it costs the application. Steps are idempotent: either the SQL itself
 * is (IF [NOT] EXISTS, OR REPLACE) or {@code skipIf} says when it has already been done, so a crashed phase is
 * simply run again from its last checkpoint.
 *
 * @param lock       the table lock the statement takes, as PostgreSQL names it
 * @param effect     what it does to the table's data
 * @param skipIf     a query returning one boolean, true when the step is already done; or null
 * @param skipParams text parameters of {@code skipIf}
 * @param mode       how the executor runs it
 * @param repairIf   a query (same parameters as skipIf) true when a failed earlier attempt left debris, or null
 * @param repair     what removes that debris (e.g. drops an index left INVALID by a failed concurrent build)
 */
public record Step(String description, String sql, String lock, Effect effect, String skipIf,
                   List<String> skipParams, Mode mode, String repairIf, String repair) {

    public enum Effect {
        METADATA("catalog only"),
        SCAN("scans the table, no write lock"),
        BUILD("builds concurrently, no write lock"),
        REWRITE("rewrites the table");

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
        skipParams = skipParams == null ? List.of() : List.copyOf(skipParams);
    }

    public Step(String description, String sql, String lock, Effect effect, Mode mode) {
        this(description, sql, lock, effect, null, List.of(), mode, null, null);
    }

    public static Step metadata(String description, String sql, String lock) {
        return new Step(description, sql, lock, Effect.METADATA, Mode.TRANSACTIONAL);
    }

    /**
     * Several catalog-only statements as one transaction, so that no application write ever sees the state
     * between them (e.g. the sync trigger gone but the NOT NULL column it filled still there). Re-running is
     * safe without per-statement guards: the checkpoint commits with them, so they ran all or not at all.
     */
    public static Step atomic(String description, List<Step> steps) {
        StringBuilder sql = new StringBuilder();
        StringBuilder what = new StringBuilder(description).append(':');
        for (Step s : steps) {
            if (s.mode() != Mode.TRANSACTIONAL) throw new IllegalArgumentException("not transactional: " + s.description());
            if (!sql.isEmpty()) sql.append(";\n");
            sql.append(s.sql());
            what.append("\n  - ").append(s.description());
        }
        String lock = steps.stream().map(Step::lock).filter(l -> l.startsWith("ACCESS EXCLUSIVE")).findFirst()
                .orElse(steps.isEmpty() ? "none" : steps.get(0).lock());
        return new Step(what.toString(), sql.toString(), lock + ", all in one short transaction", Effect.METADATA, Mode.TRANSACTIONAL);
    }

    /** The same step with the lock it takes as measured (or why it is unknown). */
    public Step withLock(String measured) {
        return new Step(description, sql, measured, effect, skipIf, skipParams, mode, repairIf, repair);
    }

    public Step skipIf(String query, String... params) {
        return new Step(description, sql, lock, effect, query, List.of(params), mode, repairIf, repair);
    }

    public Step repairIf(String query, String repairSql) {
        return new Step(description, sql, lock, effect, skipIf, skipParams, mode, query, repairSql);
    }
}
