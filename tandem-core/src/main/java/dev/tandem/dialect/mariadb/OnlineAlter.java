package dev.tandem.dialect.mariadb;

import java.util.List;

/**
 * The text of an ALTER TABLE that MariaDB must do without copying the table or blocking its writes, or refuse: every
 * statement names its algorithm and {@code LOCK=NONE}, so that the server fails with 1845/1846 ("ALGORITHM=... is not
 * supported") instead of silently falling back to a copy ("InnoDB Online DDL Overview" in the MariaDB manual).
 *
 * <p>A waiting ALTER queues every later reader and writer of the table behind it, so its wait is short and the executor
 * retries with jittered back-off. MariaDB reads {@code WAIT n} as whole seconds: {@code WAIT 0.2} (and 0.5, 0.7) fail as
 * fast as {@code NOWAIT}, {@code WAIT 1} waits a second (measured on 11.4.5, MariaDbDdlTest.fractionalWaitIsNoWait).
 * NOWAIT alone never gets the lock of a table that some session is always using (measured: two writers in a loop kept a
 * CREATE TRIGGER out for two minutes), so a statement that only changes the catalog (INSTANT) waits up to the
 * executor's lock timeout instead, bounded by {@code max_statement_time}, which MariaDB takes in fractions of a second
 * and which ends a metadata-lock wait ({@link MariaDbDialect#setDdlTimeouts}). A statement that works for a while
 * (NOCOPY, INPLACE) keeps NOWAIT, which bounds its lock waits without bounding its work.
 */
final class OnlineAlter {
    /** MariaDB's word for "take the metadata lock now or fail" (1205), on ALTER, RENAME, DROP TABLE and CREATE INDEX. */
    static final String NO_WAIT = "NOWAIT";

    /** The least the statement may do, from cheapest; each refuses what would need a heavier one. */
    enum Algorithm {
        /** Changes the data dictionary only. */
        INSTANT("catalog only"),
        /** Builds or drops a secondary index; the rows stay where they are. */
        NOCOPY("builds in place, reads and writes go on"),
        /** Rebuilds the table in place (a NOT NULL check over every row); reads and writes go on. */
        INPLACE("rebuilds in place, reads and writes go on");

        final String does;

        Algorithm(String does) {
            this.does = does;
        }
    }

    private OnlineAlter() {
    }

    /** {@code ALTER TABLE `db`.`t` [NOWAIT] <clauses>, ALGORITHM=<a>, LOCK=NONE}. */
    static String sql(String database, String table, Algorithm algorithm, List<String> clauses) {
        return prefix(database, table, algorithm) + String.join(", ", clauses) + suffix(algorithm);
    }

    /** {@code ALTER TABLE `db`.`t` }, with NOWAIT unless the statement is INSTANT: what comes before the clauses. */
    static String prefix(String database, String table, Algorithm algorithm) {
        return "ALTER TABLE " + MariaDbNames.qualify(database, table) + " " + (algorithm == Algorithm.INSTANT ? "" : NO_WAIT + " ");
    }

    /** {@code , ALGORITHM=<a>, LOCK=NONE}, what comes after them. */
    static String suffix(Algorithm algorithm) {
        return ", ALGORITHM=" + algorithm.name() + ", LOCK=NONE";
    }

    static String sql(String database, String table, Algorithm algorithm, String clause) {
        return sql(database, table, algorithm, List.of(clause));
    }

    /**
     * What a plan shows of how the statement runs: {@code (ALGORITHM=INSTANT, LOCK=NONE: catalog only; exclusive
     * metadata lock for a moment, NOWAIT)}.
     */
    static String how(Algorithm algorithm) {
        String moment = algorithm == Algorithm.INSTANT ? "exclusive metadata lock for a moment, " + BOUNDED
                : "exclusive metadata lock for a moment at its start and its end, " + NO_WAIT;
        return " (ALGORITHM=" + algorithm.name() + ", LOCK=NONE: " + algorithm.does + "; " + moment + ")";
    }

    /** How a catalog-only statement waits for its metadata lock, as plans say it. */
    static final String BOUNDED = "waiting at most the lock timeout";

}
