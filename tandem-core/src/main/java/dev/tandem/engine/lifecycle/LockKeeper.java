package dev.tandem.engine.lifecycle;

import dev.tandem.TandemListener;
import dev.tandem.dialect.Dialect;
import dev.tandem.engine.LockHolders;
import dev.tandem.engine.MigrationLock;
import dev.tandem.engine.Names;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;

/**
 * The connection that holds the migration lock. If the server restarted under it, it takes the lock again on
 * a new connection, or fails if another Tandem process took it meanwhile.
 */
public final class LockKeeper implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(LockKeeper.class);

    private final Database database;
    private final Dialect dialect;
    private final LockHolders holders;
    private final String lockKey;
    private final Duration lockWait;
    private final TandemListener listener;
    private final Connection original;
    private Connection current;

    LockKeeper(Database database, Dialect dialect, LockHolders holders, String lockKey, Duration lockWait, TandemListener listener,
               Connection original) {
        this.database = database;
        this.dialect = dialect;
        this.holders = holders;
        this.lockKey = lockKey;
        this.lockWait = lockWait;
        this.listener = listener;
        this.original = original;
        this.current = original;
    }

    /** The connection holding the lock now: the original one while it lives, else a new one that took the lock again. */
    public Connection connection() throws SQLException {
        if (current.isClosed() || !current.isValid(2)) {
            if (current != original) Database.closeQuietly(current);
            // Kept only once it holds the lock: a connection without it must never be handed out.
            Connection fresh = database.connect();
            try {
                String command = Names.toolApplicationName("backfill");
                dialect.setApplicationName(fresh, command);
                MigrationLock.acquire(dialect, holders, fresh, lockKey, lockWait, listener::message);
                holders.record(fresh, command);
            } catch (RuntimeException | SQLException e) {
                Database.closeQuietly(fresh);
                throw e;
            }
            current = fresh;
            log.info("took the migration lock again on a new connection");
        }
        return current;
    }

    @Override
    public void close() {
        if (current != original) Database.closeQuietly(current);
    }
}
