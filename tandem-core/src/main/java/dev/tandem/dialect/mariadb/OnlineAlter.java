package dev.tandem.dialect.mariadb;

import java.util.List;

/**
 * The text of an ALTER TABLE that MariaDB must do without copying the table or blocking its writes, or refuse: every
 * statement names its algorithm and {@code LOCK=NONE}, so that the server fails with 1845/1846 ("ALGORITHM=... is not
 * supported") instead of silently falling back to a copy ("InnoDB Online DDL Overview" in the MariaDB manual).
 *
 * <p>It waits for no metadata lock ({@code NOWAIT}): a waiting ALTER queues every later reader and writer of the table
 * behind it, and the executor retries with jittered back-off instead. MariaDB reads {@code WAIT n} as whole seconds:
 * {@code WAIT 0.2} (and 0.5, 0.7) fail as fast as {@code NOWAIT}, {@code WAIT 1} waits a second (measured on 11.4.5,
 * MariaDbDdlTest.fractionalWaitIsNoWait), so Tandem writes what the server does.
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

    /** {@code ALTER TABLE `db`.`t` NOWAIT <clauses>, ALGORITHM=<a>, LOCK=NONE}. */
    static String sql(String database, String table, Algorithm algorithm, List<String> clauses) {
        return prefix(database, table) + String.join(", ", clauses) + suffix(algorithm);
    }

    /** {@code ALTER TABLE `db`.`t` NOWAIT }, what comes before the clauses. */
    static String prefix(String database, String table) {
        return "ALTER TABLE " + MariaDbNames.qualify(database, table) + " " + NO_WAIT + " ";
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
        String moment = algorithm == Algorithm.INSTANT ? "exclusive metadata lock for a moment"
                : "exclusive metadata lock for a moment at its start and its end";
        return " (ALGORITHM=" + algorithm.name() + ", LOCK=NONE: " + algorithm.does + "; " + moment + ", " + NO_WAIT + ")";
    }

    /**
     * A statement without a NOWAIT clause of its own (CREATE TRIGGER, DROP TRIGGER, CREATE VIEW, DROP DATABASE) made
     * to fail at once instead of waiting for its metadata lock ("SET STATEMENT" in the MariaDB manual).
     */
    static String noWait(String statement) {
        return "SET STATEMENT lock_wait_timeout=0 FOR " + statement;
    }
}
