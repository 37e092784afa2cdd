package dev.tandem.engine;

import dev.tandem.TandemException;
import dev.tandem.dialect.Dialect;

import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;
import java.util.List;
import java.util.function.Consumer;

/**
 * Only one Tandem process changes a schema at a time: a session-level lock on the database, held by the
 * connection that does the work and released when it closes (or dies), so a crashed process never leaves it stuck.
 */
public final class MigrationLock implements AutoCloseable {
    /** While waiting, how often to say that it still waits: a line per retry (five a second) would bury the rest. */
    static final Duration REPORT_EVERY = Duration.ofSeconds(10);
    private static final DateTimeFormatter TIME = DateTimeFormatter.ofPattern("HH:mm:ss").withZone(ZoneId.systemDefault());

    private final Dialect dialect;
    private final Connection connection;
    private final String key;

    private MigrationLock(Dialect dialect, Connection connection, String key) {
        this.dialect = dialect;
        this.connection = connection;
        this.key = key;
    }

    /**
     * @param holders  who holds the lock, named, for the messages of a wait
     * @param progress told once who holds the lock when this has to wait, then every {@link #REPORT_EVERY} how long it
     *                 has waited
     */
    public static MigrationLock acquire(Dialect dialect, LockHolders holders, Connection c, String key, Duration wait,
                                        Consumer<String> progress) throws SQLException {
        long started = System.nanoTime();
        long deadline = started + wait.toNanos();
        long nextReport = 0;
        while (true) {
            if (dialect.tryMigrationLock(c, key)) return new MigrationLock(dialect, c, key);
            long now = System.nanoTime();
            if (now > deadline) {
                List<Dialect.LockHolder> held = holders.of(c, key);
                throw new TandemException(TandemException.Kind.LOCKED, "another Tandem process is changing this schema: "
                        + describe(held) + "; waited " + wait.toSeconds() + " s. Let it finish, or stop it; a killed"
                        + " process releases the lock when its connection closes, which the server notices only once"
                        + " the statement it was running ends (" + dialect.endSessionAdvice() + ")."
                        + backfillHint(held));
            }
            if (wait.toMillis() >= 1000 && nextReport == 0) {
                List<Dialect.LockHolder> held = holders.of(c, key);
                progress.accept("waiting up to " + wait.toSeconds() + " s for the migration lock, held by "
                        + describe(held) + (backfillHint(held).isEmpty() ? "" : "." + backfillHint(held)));
                nextReport = now + REPORT_EVERY.toNanos();
            } else if (nextReport != 0 && now >= nextReport) {
                progress.accept("still waiting for the migration lock: " + Duration.ofNanos(now - started).toSeconds()
                        + " s of " + wait.toSeconds() + " s");
                nextReport += REPORT_EVERY.toNanos();
            }
            try {
                Thread.sleep(200);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new TandemException(TandemException.Kind.LOCKED, "interrupted while waiting for the migration lock");
            }
        }
    }

    /** {@code tandem backfill pid 4242 on db-admin-1 (from 10.0.0.7, since 12:58:01)}, or what the database says of it. */
    public static String describe(List<Dialect.LockHolder> holders) {
        if (holders.isEmpty()) return "a session that has just let it go";
        return String.join("; ", holders.stream().map(h -> {
            String who = h.applicationName() == null ? "a session without an application name"
                    : Names.isTool(h.applicationName()) ? h.applicationName()
                    : "a session named \"" + h.applicationName() + "\" (not Tandem's usual name)";
            return who + " (from " + h.client() + (h.since() != null ? ", since " + TIME.format(h.since()) : "") + ")";
        }).toList());
    }

    /** Whether one of the holders is a {@code tandem backfill} command (named by {@link LockHolders}). */
    public static boolean backfillHolds(List<Dialect.LockHolder> holders) {
        return holders.stream().anyMatch(h -> h.applicationName() != null
                && h.applicationName().startsWith(Names.TOOL_APPLICATION_NAME + " backfill "));
    }

    /** A running backfill holds the lock for as long as it runs; what the user can do from here is steer it. */
    private static String backfillHint(List<Dialect.LockHolder> holders) {
        return backfillHolds(holders) ? " It is running a backfill, which needs no lock to be steered: `tandem backfill --pause`,"
                + " `tandem backfill --resume` or `tandem backfill --rate N` from here." : "";
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
