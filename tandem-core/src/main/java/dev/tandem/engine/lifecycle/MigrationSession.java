package dev.tandem.engine.lifecycle;

import dev.tandem.TandemListener;
import dev.tandem.dialect.Dialect;
import dev.tandem.engine.LockHolders;
import dev.tandem.engine.MigrationLock;
import dev.tandem.engine.Names;
import dev.tandem.state.StateStore;

import java.sql.Connection;
import java.time.Duration;

/**
 * Where changing work runs: one connection holding the migration lock, with Tandem's state tables in place. The
 * lock is named after the state schema and the managed schema: two Tandem processes working on the same pair never
 * run at once.
 */
public final class MigrationSession {
    private final Database database;
    private final Dialect dialect;
    private final StateStore state;
    private final String lockKey;
    private final Duration lockWait;
    private final TandemListener listener;

    /** @param lockWait how long to wait for another Tandem process to release the lock before giving up */
    public MigrationSession(Database database, Dialect dialect, StateStore state, String stateSchema, String schema,
                            Duration lockWait, TandemListener listener) {
        this.database = database;
        this.dialect = dialect;
        this.state = state;
        this.lockKey = "tandem:" + stateSchema + ":" + schema;
        this.lockWait = lockWait;
        this.listener = listener;
    }

    /**
     * Runs changing work under the migration lock, with the state tables in place. The connection is named after
     * the command, this process and its host: who waits for the lock is told who holds it.
     */
    public <T> T withLock(String command, Database.Work<T> work) {
        return database.withConnection(c -> {
            String name = Names.toolApplicationName(command);
            dialect.setApplicationName(c, name);
            // Before anything changes: the commands that change the database may send several statements at once.
            dialect.checkToolSession(c);
            LockHolders holders = new LockHolders(dialect, state);
            try (MigrationLock lock = MigrationLock.acquire(dialect, holders, c, lockKey, lockWait, listener::message)) {
                state.install(c);
                // Who waits for the lock, and status, name this command by it where the server shows no session names.
                holders.record(c, name);
                return work.run(c);
            }
        });
    }

    /** The name of the migration lock of this schema, for {@link StatusReader} to ask who holds it. */
    public String lockKey() {
        return lockKey;
    }

    /** Keeps the lock that {@code locked} holds for work that may outlive that connection (a server restart). */
    public LockKeeper keeper(Connection locked) {
        return new LockKeeper(database, dialect, new LockHolders(dialect, state), lockKey, lockWait, listener, locked);
    }
}
