package dev.tandem.engine.lifecycle;

import dev.tandem.dialect.Dialect;
import dev.tandem.engine.PlanContext;
import dev.tandem.migration.MigrationException;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * Tries each {@code up} of a migration over the rows its table already holds, before anything changes: a stand-in row
 * of NULLs ({@link PlanChecks}) cannot show that {@code CAST(nick AS SIGNED)} fails for the nick {@code 'abc'}, and
 * after expand every write of the previous version carrying such a value would fail in the sync trigger, and the
 * backfill would stop at that row.
 *
 * <p>A table of at most {@link #ALL_ROWS} rows is tried whole; a larger one on a sample: the first {@link #WINDOW}
 * rows by key and {@code WINDOWS - 1} more windows of that size spread evenly over the key order. Which of the two was
 * done is said in the plan's notices. Each window is one statement in a transaction of its own on a connection of its
 * own, always rolled back, which the dialect keeps free of locks that block writers
 * ({@link Dialect#checkExpressionOnRows}). A failing window is halved until one row is left, whose key is reported.
 *
 * <p>Rows written after the check are not tried: such a row can still fail the trigger (DESIGN.md, "Plan-time checks").
 */
final class RowChecks {
    /** Tables up to this many rows are tried whole. */
    static final long ALL_ROWS = 10_000;
    /** Rows per window of a larger table's sample. */
    static final long WINDOW = 1_000;
    /** Windows in a larger table's sample. */
    static final int WINDOWS = 10;

    private final Dialect dialect;
    private final Database database;
    private final Duration lockTimeout;
    private final Duration statementTimeout;

    RowChecks(Dialect dialect, Database database, Duration lockTimeout, Duration statementTimeout) {
        this.dialect = dialect;
        this.database = database;
        this.lockTimeout = lockTimeout;
        this.statementTimeout = statementTimeout;
    }

    /** What the checks found: a problem per expression that fails on a row, and a notice per expression tried. */
    record Outcome(List<MigrationException.Problem> problems, List<String> notices) {
    }

    Outcome run(String schema, List<PlanContext.ExpressionCheck> checks) throws SQLException {
        List<MigrationException.Problem> problems = new ArrayList<>();
        List<String> notices = new ArrayList<>();
        if (checks.stream().noneMatch(c -> c.table() != null)) return new Outcome(problems, notices);
        try (Connection c = database.connect()) {
            dialect.setTimeouts(c, lockTimeout, statementTimeout);
            for (PlanContext.ExpressionCheck check : checks) {
                if (check.table() == null) continue;
                // Counted in autocommit: the dialect may need to set the isolation before its transaction's first read.
                long rows = count(c, schema, check.table(), ALL_ROWS + 1);
                // An empty table has nothing to try, and nothing to say.
                if (rows == 0) continue;
                List<long[]> windows = new ArrayList<>();
                String what = check.what() + " of " + check.table() + " (" + shortly(check.location()) + ")";
                if (rows <= ALL_ROWS) {
                    windows.add(new long[]{0, ALL_ROWS + 1});
                    notices.add(what + " was evaluated on all " + rows + " existing rows");
                } else {
                    long total = count(c, schema, check.table(), Long.MAX_VALUE);
                    for (int i = 0; i < WINDOWS; i++) windows.add(new long[]{i == 0 ? 0 : total * i / WINDOWS, WINDOW});
                    notices.add(what + " was evaluated on a sample of " + WINDOWS * WINDOW + " of " + total
                            + " existing rows (the first " + WINDOW + " by key and " + (WINDOWS - 1) + " more windows of "
                            + WINDOW + " spread over the key order); rows not in the sample and rows written later are"
                            + " not checked");
                }
                for (long[] w : windows) {
                    SQLException failure = tryRows(c, schema, check, w[0], w[1]);
                    if (failure != null) {
                        problems.add(new MigrationException.Problem(check.location(), failingRow(c, schema, check, w[0], w[1], failure)));
                        break;
                    }
                }
            }
        }
        return new Outcome(problems, notices);
    }

    /** Narrows a failing window to its first failing row (halving it) and says which row and why. */
    private String failingRow(Connection c, String schema, PlanContext.ExpressionCheck check, long offset, long limit,
                              SQLException failure) throws SQLException {
        long from = offset;
        long n = limit;
        SQLException reason = failure;
        while (n > 1) {
            long half = n / 2;
            SQLException first = tryRows(c, schema, check, from, half);
            if (first != null) {
                reason = first;
                n = half;
                continue;
            }
            SQLException second = tryRows(c, schema, check, from + half, n - half);
            // Rows changed meanwhile: report the window as it failed.
            if (second == null) break;
            reason = second;
            from += half;
            n -= half;
        }
        String row = n == 1 ? "the existing row " + key(c, schema, check, from) : "an existing row (rows " + (from + 1)
                + " to " + (from + n) + " in key order)";
        return check.what() + " `" + check.expression() + "` fails on " + row + " of " + check.table() + ": "
                + firstLine(dialect.describeError(reason)) + ". After expand, each write of the previous version with"
                + " such a value would fail in the sync trigger, and the backfill would stop at that row; fix the"
                + " expression or the data";
    }

    /** Null when the rows of the window evaluate and fit; otherwise the server's error. */
    private SQLException tryRows(Connection c, String schema, PlanContext.ExpressionCheck check, long offset, long limit)
            throws SQLException {
        c.setAutoCommit(false);
        try {
            dialect.checkExpressionOnRows(c, schema, check.table(), check.row(), check.key(), check.expression(),
                    check.targetType(), offset, limit);
            return null;
        } catch (SQLException e) {
            return e;
        } finally {
            c.rollback();
            c.setAutoCommit(true);
        }
    }

    /** The key of the row at {@code offset} in key order, as {@code (id)=(2)}. */
    private String key(Connection c, String schema, PlanContext.ExpressionCheck check, long offset) throws SQLException {
        if (check.key().isEmpty()) return "number " + (offset + 1) + " in the table's order";
        try (PreparedStatement ps = c.prepareStatement("SELECT " + dialect.quoteAll(check.key()) + " FROM "
                + dialect.qualify(schema, check.table()) + " ORDER BY " + dialect.quoteAll(check.key()) + " LIMIT 1 OFFSET " + offset);
             ResultSet rs = ps.executeQuery()) {
            if (!rs.next()) return "number " + (offset + 1) + " in key order";
            List<String> values = new ArrayList<>();
            for (int i = 1; i <= check.key().size(); i++) values.add(rs.getString(i));
            return "(" + String.join(", ", check.key()) + ")=(" + String.join(", ", values) + ")";
        }
    }

    /** The number of rows, counting no further than {@code upTo}. */
    private long count(Connection c, String schema, String table, long upTo) throws SQLException {
        String from = dialect.qualify(schema, table);
        String sql = upTo == Long.MAX_VALUE ? "SELECT count(*) FROM " + from
                : "SELECT count(*) FROM (SELECT 1 AS one FROM " + from + " LIMIT " + upTo + ") AS n";
        try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery(sql)) {
            rs.next();
            return rs.getLong(1);
        }
    }

    /** The file's name and the line, as a plan's notice names a place: the directory is the user's own. */
    private static String shortly(dev.tandem.migration.SourceLocation at) {
        String file = java.nio.file.Path.of(at.file()).getFileName().toString();
        return at.line() > 0 ? file + ":" + at.line() : file;
    }

    private static String firstLine(String message) {
        if (message == null) return "unknown error";
        int nl = message.indexOf('\n');
        return nl < 0 ? message : message.substring(0, nl);
    }
}
