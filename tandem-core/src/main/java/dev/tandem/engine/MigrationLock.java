package dev.tandem.engine;

import dev.tandem.TandemException;
import dev.tandem.dialect.Dialect;

import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;

/**
 * Only one Tandem process changes a schema at a time: a session-level lock on the database, held by the
 * connection that does the work and released when it closes (or dies), so a crashed process never leaves it stuck.
 */
public final class MigrationLock implements AutoCloseable {
    private final Dialect dialect;
    private final Connection connection;
    private final String key;

    private MigrationLock(Dialect dialect, Connection connection, String key) {
        this.dialect = dialect;
        this.connection = connection;
        this.key = key;
    }

    public static MigrationLock acquire(Dialect dialect, Connection c, String key, Duration wait) throws SQLException {
        long deadline = System.nanoTime() + wait.toNanos();
        while (true) {
            if (dialect.tryMigrationLock(c, key)) return new MigrationLock(dialect, c, key);
            if (System.nanoTime() > deadline) {
                throw new TandemException(TandemException.Kind.LOCKED, "another Tandem process is changing this schema ("
                        + dialect.migrationLockHolders(c, key) + "); waited " + wait.toSeconds()
                        + " s. Let it finish, or stop it; a killed process releases the lock when its connection closes.");
            }
            try {
                Thread.sleep(200);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new TandemException(TandemException.Kind.LOCKED, "interrupted while waiting for the migration lock");
            }
        }
    }

    @Override
    public void close() {
        try {
            if (!connection.isClosed()) {
                if (!connection.getAutoCommit()) connection.rollback();
                dialect.releaseMigrationLock(connection, key);
            }
        } catch (SQLException e) {
            // The session is gone (e.g. the server restarted), and its lock with it.
        }
    }
}
