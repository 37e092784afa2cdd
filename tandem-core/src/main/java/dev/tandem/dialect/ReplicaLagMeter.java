package dev.tandem.dialect;

import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;

/**
 * Measures how far the replicas a backfill watches are behind its primary, for one backfill run: the meter may
 * remember what it wrote on the primary between checks ({@link Dialect#replicaLagMeter}). One lag check is one
 * {@link #mark} followed by one {@link #lag} per replica; a backfill checks at most twice a second (README,
 * "Backfill").
 */
public interface ReplicaLagMeter {

    /**
     * Starts a lag check on the primary, before any replica is read: a dialect that measures with a heartbeat writes
     * it here. {@code primary} is in autocommit mode; what this writes is committed when it returns.
     *
     * @throws SQLException when the primary refuses the write or the connection is lost
     */
    void mark(Connection primary) throws SQLException;

    /**
     * How far {@code replica} is behind, at the check last {@link #mark marked}.
     *
     * @param primary the connection {@link #mark} was given (its clock is the only one a lag is measured against)
     * @param replica a connection to one replica, with the privileges the dialect's manual section names
     * @throws SQLException when the replica cannot be read (its message says which privilege is missing, if one is)
     */
    Lag lag(Connection primary, Connection replica) throws SQLException;

    /**
     * One replica's lag.
     *
     * @param behind how far behind the replica is (at least); null when the server is not a replica and has nothing
     *               to wait for
     * @param why    what holds the backfill back when {@code behind} is over the limit, said instead of "is N ms
     *               behind" (e.g. "has applied none of the heartbeats, the first written 900 ms ago"); null: the
     *               plain figure says it
     */
    record Lag(Duration behind, String why) {
        /** The server is not a replica. */
        public static final Lag NOT_A_REPLICA = new Lag(null, null);

        public static Lag behind(Duration behind) {
            return new Lag(behind, null);
        }
    }
}
