package dev.tandem.dialect.mariadb;

import dev.tandem.dialect.Dialect;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;

/**
 * Ends a statement of another connection of the same login once it has waited for a table's metadata lock longer than
 * a limit in milliseconds, which MariaDB cannot do by itself for an ALTER that must not be bounded as a whole:
 * {@code lock_wait_timeout} and {@code WAIT n} take whole seconds ({@code WAIT 0.2} is NOWAIT), and {@code
 * max_statement_time} would also cut the build short.
 *
 * <p>A thread polls {@code information_schema.PROCESSLIST} (one's own sessions are listed without PROCESS) every
 * {@link #POLL} for the watched connection's {@code STATE} and {@code QUERY_ID}; when the same query has been in
 * {@value #WAITING} longer than the limit, it sends {@code KILL QUERY ID <query id>} ("KILL", MariaDB manual: ending
 * one's own statements needs no privilege). Killing by query id, not by connection, cannot end a later statement of
 * the connection. The killed statement fails with 1317 (interrupted) and the server drops the queued lock request at
 * once; an in-place ALTER leaves nothing half-built (measured on 10.11 and 11.4: {@code MariaDbFactsTest
 * .aKilledMetadataLockWaitLeavesNothingAndFreesTheQueue}). The watchdog waits at the start of the statement and at
 * its end (an in-place ALTER takes the exclusive lock again to finish), never while it works.
 */
final class MetadataLockWatchdog implements AutoCloseable {
    /** What the process list shows while a statement waits for a metadata lock, on 10.11 and 11.4. */
    static final String WAITING = "Waiting for table metadata lock";

    /** How often the process list is read: the overshoot past the limit is about this much. */
    static final Duration POLL = Duration.ofMillis(10);

    /** ER_QUERY_INTERRUPTED: what a statement ended by KILL QUERY fails with. */
    static final int QUERY_INTERRUPTED = 1317;

    /**
     * Runs {@code sql} on {@code c}, watched from a connection {@code others} opens: if it waits for a metadata lock
     * longer than {@code limit}, it is ended and this throws a 1205 (lock wait timeout) that says so, which the
     * executor retries. Its own {@code WAIT n} should be at least {@code limit}: it bounds the wait should the watcher
     * fail.
     */
    static void execute(Connection c, String sql, Duration limit, Dialect.Connections others) throws SQLException {
        long id;
        try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery("SELECT CONNECTION_ID()")) {
            rs.next();
            id = rs.getLong(1);
        }
        MetadataLockWatchdog dog = new MetadataLockWatchdog(others.open(), id, limit);
        try (dog; Statement st = c.createStatement()) {
            st.execute(sql);
        } catch (SQLException e) {
            if (dog.killed() && e.getErrorCode() == QUERY_INTERRUPTED) {
                throw new SQLException("metadata lock not granted within " + limit.toMillis() + " ms: the statement was"
                        + " ended (KILL QUERY) so that the table's readers and writers do not queue behind it",
                        "HY000", MariaDbDialect.LOCK_WAIT_TIMEOUT, e);
            }
            throw e;
        }
    }

    private final Connection watcher;
    private final long target;
    private final long limitNanos;
    private final Thread thread;
    private volatile boolean stop;
    private volatile boolean killed;

    /**
     * Starts watching connection {@code target} (its {@code CONNECTION_ID()}) through {@code watcher}, which it closes
     * on {@link #close}.
     */
    MetadataLockWatchdog(Connection watcher, long target, Duration limit) {
        this.watcher = watcher;
        this.target = target;
        this.limitNanos = limit.toNanos();
        this.thread = new Thread(this::watch, "tandem-mdl-watchdog-" + target);
        thread.setDaemon(true);
        thread.start();
    }

    private void watch() {
        try (PreparedStatement ps = watcher.prepareStatement(
                "SELECT STATE, QUERY_ID FROM information_schema.PROCESSLIST WHERE ID = ?")) {
            ps.setLong(1, target);
            long waitingQuery = -1;
            long since = 0;
            while (!stop) {
                String state = null;
                long query = -1;
                try (ResultSet rs = ps.executeQuery()) {
                    if (rs.next()) {
                        state = rs.getString(1);
                        query = rs.getLong(2);
                    }
                }
                long now = System.nanoTime();
                if (!WAITING.equals(state)) {
                    waitingQuery = -1;
                } else if (query != waitingQuery) {
                    waitingQuery = query;
                    since = now;
                } else if (now - since > limitNanos) {
                    try (Statement st = watcher.createStatement()) {
                        st.execute("KILL QUERY ID " + query);
                    }
                    killed = true;
                    return;
                }
                Thread.sleep(POLL.toMillis());
            }
        } catch (SQLException e) {
            // The watcher lost its connection or its query: the statement's own WAIT n still bounds its wait.
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Whether it ended the watched statement. */
    boolean killed() {
        return killed;
    }

    /** Stops watching, waits for the thread, and closes the watcher's connection. */
    @Override
    public void close() throws SQLException {
        stop = true;
        try {
            thread.join();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            watcher.close();
        }
    }
}
