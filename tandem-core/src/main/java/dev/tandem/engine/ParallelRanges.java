package dev.tandem.engine;

import dev.tandem.dialect.Dialect;

import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.Supplier;

/**
 * One step of a key walk done by several workers: the next key ranges of {@code size} rows each are found one after
 * the other (index-only reads), then filled at once, each in its own transaction on a connection of its own.
 *
 * <p>Why: one worker cannot reach a plain UPDATE's rows/s where the sync trigger fires for every backfilled row and
 * the done flag is a second column written (MariaDB: 0.77 of one UPDATE with no round trip at all, docs/BENCHMARKS.md),
 * while the server has CPU to spare. Ranges are disjoint, so the workers never wait for each other's row locks.
 *
 * <p>The checkpoint moves past all of a step's ranges only after every one of them committed, in the walk's own
 * transaction; a step that failed in part is walked again from the checkpoint, and the ranges already filled cost only
 * the read that finds no row left to fill ({@code done IS NOT TRUE}).
 */
final class ParallelRanges implements AutoCloseable {
    /** A key range {@code (after, to]}; {@code last}: it reaches the end of the walk. */
    record Range(List<String> after, List<String> to, boolean last) {
    }

    private final Dialect dialect;
    private final Supplier<Connection> connections;
    private final Duration statementTimeout;
    private final Connection[] workers;
    private final ExecutorService pool;
    private final java.util.function.Consumer<String> tell;
    /** Workers the server lets Tandem connect: fewer than asked once it refused one for too many connections. */
    private int usable;

    /**
     * @param statementTimeout the bound of one batch statement, as the walk's own connection has it
     * @param tell             told once when the server allows fewer connections than workers asked for
     */
    ParallelRanges(Dialect dialect, Supplier<Connection> connections, int workers, Duration statementTimeout,
                   java.util.function.Consumer<String> tell) {
        this.dialect = dialect;
        this.tell = tell;
        this.usable = workers;
        this.connections = connections;
        this.statementTimeout = statementTimeout;
        this.workers = new Connection[workers];
        this.pool = Executors.newFixedThreadPool(workers, r -> {
            Thread t = new Thread(r, "tandem-backfill-worker");
            t.setDaemon(true);
            return t;
        });
    }

    /**
     * The workers a step uses: as many as asked, unless the server refused a connection for too many (then those it
     * gave). 1 or less: the walk's own connection fills one range, as without workers.
     */
    int workers() {
        return usable;
    }

    /** Up to one range per worker past {@code after}, found on {@code c}; the last one ends at {@code upTo} if reached. */
    List<Range> next(Connection c, String schema, Plan.BackfillTask task, List<String> after, List<String> upTo, int size)
            throws SQLException {
        List<Range> ranges = new ArrayList<>();
        List<String> from = after;
        while (ranges.size() < usable) {
            List<String> end = dialect.backfillRangeEnd(c, schema, task, from, upTo, size);
            ranges.add(new Range(from, end == null ? upTo : end, end == null));
            if (end == null) break;
            from = end;
        }
        return ranges;
    }

    /**
     * Fills {@code ranges} at once, each committed on its own. @return the rows walked: {@code size} for each range but
     * a last one, which counts the rows it updated (as {@link Dialect#backfillBatch} counts)
     *
     * @throws SQLException the first failure of any range, once every range has ended (the others, suppressed); the
     *                      workers' connections are closed then and opened again for the next step
     */
    long fill(String schema, Plan.BackfillTask task, List<Range> ranges, int size, boolean skipTriggers) throws SQLException {
        // Every connection first, so that a refused one fails the step before any range is filled.
        for (int i = 0; i < ranges.size(); i++) connection(i);
        List<Future<Long>> running = new ArrayList<>();
        for (int i = 0; i < ranges.size(); i++) {
            int worker = i;
            Range r = ranges.get(i);
            running.add(pool.submit(() -> fill(worker, schema, task, r, skipTriggers)));
        }
        long walked = 0;
        SQLException failure = null;
        for (int i = 0; i < running.size(); i++) {
            try {
                long updated = running.get(i).get();
                walked += ranges.get(i).last() ? updated : size;
            } catch (ExecutionException e) {
                SQLException f = e.getCause() instanceof SQLException s ? s
                        : new SQLException("backfill worker failed: " + e.getCause(), e.getCause());
                if (failure == null) failure = f;
                else failure.addSuppressed(f);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                if (failure == null) failure = new SQLException("interrupted while backfill workers ran", e);
            }
        }
        if (failure != null) {
            closeWorkers();
            throw failure;
        }
        return walked;
    }

    private long fill(int worker, String schema, Plan.BackfillTask task, Range r, boolean skipTriggers) throws SQLException {
        Connection c = connection(worker);
        try {
            long updated = dialect.backfillRange(c, schema, task, r.after(), r.to(), skipTriggers);
            c.commit();
            return updated;
        } catch (SQLException e) {
            try {
                c.rollback();
            } catch (SQLException ignored) {
                // The connection may be gone; it is closed and opened again for the next step.
            }
            throw e;
        }
    }

    private Connection connection(int worker) throws SQLException {
        Connection c = workers[worker];
        if (c != null) return c;
        try {
            c = connections.get();
        } catch (RuntimeException e) {
            SQLException cause = e.getCause() instanceof SQLException s ? s : null;
            if (cause != null && dialect.isTooManyConnections(cause)) {
                // The server (or the login's limit) allows no more: go on with the workers it gave, rather than retry
                // until the deadline what it will keep refusing. The step is walked again with fewer ranges.
                usable = worker;
                tell.accept("the database refused connection " + (worker + 1) + " of " + workers.length + " for the"
                        + " backfill's workers (" + cause.getMessage() + "): going on with " + Math.max(1, worker)
                        + (worker <= 1 ? " connection, the walk's own" : " workers"));
            }
            // As a lost connection: the walk retries with back-off until its retry deadline.
            throw new SQLException("backfill worker could not connect: " + e.getMessage(), "08001", e);
        }
        try {
            // The same session bounds as the walk's own connection (Backfiller.start).
            dialect.setTimeouts(c, Duration.ofSeconds(5), statementTimeout);
            c.setAutoCommit(false);
        } catch (SQLException e) {
            closeQuietly(c);
            throw e;
        }
        workers[worker] = c;
        return c;
    }

    private void closeWorkers() {
        for (int i = 0; i < workers.length; i++) {
            if (workers[i] != null) closeQuietly(workers[i]);
            workers[i] = null;
        }
    }

    private static void closeQuietly(Connection c) {
        try {
            c.close();
        } catch (SQLException ignored) {
            // Closing what failed: nothing more to do.
        }
    }

    @Override
    public void close() {
        pool.shutdownNow();
        closeWorkers();
    }
}
