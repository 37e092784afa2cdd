package dev.tandem.engine;

import dev.tandem.dialect.Dialect;
import dev.tandem.state.StateStore;

import java.sql.Connection;
import java.sql.SQLException;
import java.util.List;

/**
 * Who holds a schema's migration lock, named as the Tandem command it is on every database. The database tells which
 * sessions hold the lock; the name a session gave itself shows on PostgreSQL (application_name) and on MySQL, but not
 * on MariaDB without the Performance Schema (its default). So the command that takes the lock records its session id
 * with its name in the state ({@link StateStore#recordLockHolder}), and a holder whose session id matches the record
 * is named by it. A record whose session no longer holds the lock matches no holder: a dead process is never named.
 */
public final class LockHolders {
    private final Dialect dialect;
    private final StateStore state;

    public LockHolders(Dialect dialect, StateStore state) {
        this.dialect = dialect;
        this.state = state;
    }

    /** The sessions holding the lock {@code key} now, Tandem's own named by their command. */
    public List<Dialect.LockHolder> of(Connection c, String key) throws SQLException {
        List<Dialect.LockHolder> holders = dialect.migrationLockHolders(c, key);
        if (holders.isEmpty()) return holders;
        StateStore.LockHolderRecord record = state.lockHolder(c).orElse(null);
        if (record == null) return holders;
        return holders.stream().map(h -> h.sessionId() == record.sessionId() ? h.namedBy(record.command(), record.takenAt()) : h)
                .toList();
    }

    /** Records that this connection, which has just taken the lock, runs {@code command} (as {@link Names#toolApplicationName}). */
    public void record(Connection c, String command) throws SQLException {
        state.recordLockHolder(c, dialect.sessionId(c), command);
    }
}
