package dev.tandem.engine;

import dev.tandem.dialect.Dialect;
import dev.tandem.state.StateStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * Says in Tandem's state, every {@link #EVERY}, that the process running a backfill is alive, so that {@code status}
 * can tell a running backfill from one whose process died (see {@link StateStore#BACKFILL_STALE}). It beats from a
 * thread and a connection of its own: a batch waiting for a row lock, or a paused backfill, must not look dead.
 * A killed process stops beating with it; that is the point.
 */
final class BackfillHeartbeat implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(BackfillHeartbeat.class);
    static final Duration EVERY = Duration.ofSeconds(2);

    private final Dialect dialect;
    private final StateStore state;
    private final String migration;
    private final Supplier<Connection> connections;
    private final ScheduledExecutorService timer;
    /** Only the timer thread uses it, and close() after that thread ended. */
    private Connection connection;

    private BackfillHeartbeat(Dialect dialect, StateStore state, String migration, Supplier<Connection> connections) {
        this.dialect = dialect;
        this.state = state;
        this.migration = migration;
        this.connections = connections;
        this.timer = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "tandem-backfill-heartbeat");
            t.setDaemon(true);
            return t;
        });
    }

    static BackfillHeartbeat start(Dialect dialect, StateStore state, String migration, Supplier<Connection> connections) {
        BackfillHeartbeat beat = new BackfillHeartbeat(dialect, state, migration, connections);
        beat.timer.scheduleWithFixedDelay(beat::beat, 0, EVERY.toMillis(), TimeUnit.MILLISECONDS);
        return beat;
    }

    private void beat() {
        try {
            if (connection == null) {
                connection = connections.get();
                // A beat that cannot get its row at once is skipped, never queued behind a lock.
                dialect.setTimeouts(connection, EVERY, EVERY);
            }
            state.beat(connection, migration);
        } catch (SQLException | RuntimeException e) {
            // The server may be restarting; the backfill itself retries, and the next beat gets a new connection.
            log.debug("backfill heartbeat missed: {}", e.getMessage());
            closeConnection();
        }
    }

    private void closeConnection() {
        if (connection == null) return;
        try {
            connection.close();
        } catch (SQLException ignored) {
            // Gone already.
        }
        connection = null;
    }

    @Override
    public void close() {
        timer.shutdownNow();
        try {
            // A beat in flight is bounded by its statement timeout.
            if (!timer.awaitTermination(EVERY.toMillis() * 3, TimeUnit.MILLISECONDS)) return;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return;
        }
        closeConnection();
    }
}
