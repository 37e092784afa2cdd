package dev.tandem.testing;

import dev.tandem.Tandem;
import dev.tandem.dialect.Dialect;

import javax.sql.DataSource;
import java.time.Duration;

/**
 * A primary and a real replica of it whose applying can be stopped and started, for test bodies shared across
 * databases: PostgreSQL streaming replication ({@link Replica}) and MariaDB binlog replication ({@link MariaDbReplica}).
 */
public interface LaggingReplica {

    /** Tandem on the primary, for {@code schema}, logged in with every privilege. */
    Tandem.Config tandem(String schema);

    /** The primary, logged in with every privilege. */
    DataSource primaryDataSource();

    /** The replica as Tandem's backfill is given it ({@code --replica}): a login with the least privileges needed. */
    DataSource replicaForTandem();

    /** The replica, logged in with every privilege, to check what it has applied. */
    DataSource replica();

    /** Makes a new empty schema (database) on the primary; it replicates. */
    String newSchema(String prefix);

    /** Quoting and the like, as Tandem writes it on this database. */
    Dialect dialect();

    /** SQL vocabulary of the tests ({@link TestDatabase#series}). */
    TestDatabase database();

    /** Stops applying what the primary sends; the replica keeps receiving it, so its lag grows with every commit. */
    void pauseReplay();

    void resumeReplay();

    boolean replayPaused();

    /** Waits until the replica has applied everything the primary had written when this was called. */
    void awaitCaughtUp(Duration timeout);
}
