package dev.tandem.dialect.mariadb;

import dev.tandem.dialect.mariadb.MariaDbDialect.Flavor;

import java.util.List;

/**
 * The text of an ALTER TABLE that the server must do without copying the table or blocking its writes, or refuse: every
 * statement names its algorithm and {@code LOCK=NONE}, so that the server fails with 1845/1846 ("ALGORITHM=... is not
 * supported") instead of silently falling back to a copy ("InnoDB Online DDL Overview" in the MariaDB manual; "Online
 * DDL Operations", section 17.12.1 of the MySQL 8.4 manual).
 *
 * <p>A waiting ALTER queues every later reader and writer of the table behind it, so its wait is short and the executor
 * retries with jittered back-off. MariaDB reads {@code WAIT n} as whole seconds: {@code WAIT 0.2} (and 0.5, 0.7) fail as
 * fast as {@code NOWAIT}, {@code WAIT 1} waits a second (measured on 11.4.5, MariaDbDdlTest.fractionalWaitIsNoWait).
 * NOWAIT alone never gets the lock of a table that some session is always using (measured: two writers in a loop kept a
 * CREATE TRIGGER out for two minutes), so a statement that only changes the catalog (INSTANT) waits up to the
 * executor's lock timeout instead, bounded by {@code max_statement_time}, which MariaDB takes in fractions of a second
 * and which ends a metadata-lock wait ({@link MariaDbDialect#setDdlTimeouts}). A statement that works for a while
 * (NOCOPY, INPLACE) is written with NOWAIT, which bounds its lock waits without bounding its work; the executor's
 * waiting attempts run it with {@code WAIT n} instead ({@link #waiting}) under a {@link MetadataLockWatchdog}, which
 * ends it once it has waited the lock timeout, to the millisecond.
 *
 * <p>MySQL has neither {@code NOWAIT}/{@code WAIT n} on ALTER TABLE nor a statement time limit for DDL
 * ({@code max_execution_time} bounds read-only SELECTs only: "Server System Variables", 7.1.8): there every ALTER's
 * metadata-lock wait is bounded by the session's {@code lock_wait_timeout}, whole seconds, at least 1, which
 * {@link MariaDbDialect#setDdlTimeouts} sets. MySQL has no {@code ALGORITHM=NOCOPY}: its {@code INPLACE} builds or
 * drops a secondary index without rebuilding the table ("Online DDL Operations", Table 17.15).
 */
final class OnlineAlter {
    /** MariaDB's word for "take the metadata lock now or fail" (1205), on ALTER, RENAME, DROP TABLE and CREATE INDEX. */
    static final String NO_WAIT = "NOWAIT";

    /** The least the statement may do, from cheapest; each refuses what would need a heavier one. */
    enum Algorithm {
        /** Changes the data dictionary only. */
        INSTANT("catalog only"),
        /** Builds or drops a secondary index; the rows stay where they are (MySQL: INPLACE without a rebuild). */
        NOCOPY("builds in place, reads and writes go on"),
        /** Rebuilds the table in place (a NOT NULL check over every row); reads and writes go on. */
        INPLACE("rebuilds in place, reads and writes go on");

        final String does;

        Algorithm(String does) {
            this.does = does;
        }

        /** The word ALTER TABLE takes on {@code flavor}: MySQL calls NOCOPY's work INPLACE. */
        String word(Flavor flavor) {
            return this == NOCOPY && flavor == Flavor.MYSQL ? INPLACE.name() : name();
        }
    }

    private final Flavor flavor;

    OnlineAlter(Flavor flavor) {
        this.flavor = flavor;
    }

    /** {@code ALTER TABLE `db`.`t` [NOWAIT] <clauses>, ALGORITHM=<a>, LOCK=NONE}. */
    String sql(String database, String table, Algorithm algorithm, List<String> clauses) {
        return prefix(database, table, algorithm) + String.join(", ", clauses) + suffix(algorithm);
    }

    /**
     * {@code ALTER TABLE `db`.`t` }, on MariaDB with NOWAIT unless the statement is INSTANT: what comes before the
     * clauses. MySQL has no NOWAIT on ALTER: its lock_wait_timeout bounds the wait.
     */
    String prefix(String database, String table, Algorithm algorithm) {
        boolean noWait = algorithm != Algorithm.INSTANT && flavor == Flavor.MARIADB;
        return "ALTER TABLE " + MariaDbNames.qualify(database, table) + " " + (noWait ? NO_WAIT + " " : "");
    }

    /**
     * The same in-place statement, {@link #sql} wrote it on MariaDB with NOWAIT, waiting {@code WAIT seconds} for its
     * metadata lock instead; empty when {@code sql} is not one this class wrote with NOWAIT. The table's name is read
     * as {@link MariaDbNames#qualify} quotes it, so a NOWAIT inside a name is never taken for the clause.
     */
    static java.util.Optional<String> waiting(String sql, long seconds) {
        String start = "ALTER TABLE ";
        if (!sql.startsWith(start)) return java.util.Optional.empty();
        int at = quotedEnd(sql, start.length());
        if (at < 0 || at >= sql.length() || sql.charAt(at) != '.') return java.util.Optional.empty();
        at = quotedEnd(sql, at + 1);
        String clause = " " + NO_WAIT + " ";
        if (at < 0 || !sql.startsWith(clause, at)) return java.util.Optional.empty();
        return java.util.Optional.of(sql.substring(0, at) + " WAIT " + seconds + " " + sql.substring(at + clause.length()));
    }

    /** Where the backquoted identifier starting at {@code from} ends (just past its closing quote), or -1. */
    private static int quotedEnd(String sql, int from) {
        if (from >= sql.length() || sql.charAt(from) != '`') return -1;
        for (int i = from + 1; i < sql.length(); i++) {
            if (sql.charAt(i) != '`') continue;
            if (i + 1 < sql.length() && sql.charAt(i + 1) == '`') {
                i++;   // a doubled quote is part of the name
            } else {
                return i + 1;
            }
        }
        return -1;
    }

    /** {@code , ALGORITHM=<a>, LOCK=NONE}, what comes after them. */
    String suffix(Algorithm algorithm) {
        return ", ALGORITHM=" + algorithm.word(flavor) + ", LOCK=NONE";
    }

    String sql(String database, String table, Algorithm algorithm, String clause) {
        return sql(database, table, algorithm, List.of(clause));
    }

    /**
     * What a plan shows of how the statement runs: {@code (ALGORITHM=INSTANT, LOCK=NONE: catalog only; exclusive
     * metadata lock for a moment, NOWAIT)}.
     */
    String how(Algorithm algorithm) {
        String moment = algorithm == Algorithm.INSTANT ? "exclusive metadata lock for a moment, " + BOUNDED
                : "exclusive metadata lock for a moment at its start and its end, "
                + (flavor == Flavor.MARIADB ? NO_WAIT + ", now and then " + BOUNDED : MYSQL_LONG_WAIT);
        return " (ALGORITHM=" + algorithm.word(flavor) + ", LOCK=NONE: " + algorithm.does + "; " + moment + ")";
    }

    /** How a catalog-only statement waits for its metadata lock, as plans say it. */
    static final String BOUNDED = "waiting at most the lock timeout";

    /** How a long statement waits for its metadata lock on MySQL, as plans say it. */
    static final String MYSQL_LONG_WAIT = "waiting at most 1 s (lock_wait_timeout)";
}
