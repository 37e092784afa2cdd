package dev.tandem.dialect.mariadb;

import dev.tandem.dialect.ReplicaLagMeter;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.Iterator;

/**
 * Replica lag on MariaDB and MySQL without any privilege on the replica but SELECT on Tandem's state database: at each
 * lag check the backfill writes a heartbeat row on the primary ({@code replication_heartbeat}, one row per schema),
 * stamped with the primary's UTC clock to the microsecond, and reads on each replica which beat it has applied.
 *
 * <p>A replica is behind by (at least) the age of the oldest beat it has <em>not</em> applied, not by the age of the
 * newest it has: beats are written only at checks (at most twice a second), so a replica that applied the last beat
 * is caught up to the moment of that check, however long ago the one before it was, and a check every 500 ms never
 * reads as 500 ms of lag. A replica that stopped applying falls behind the first beat it missed, and its lag grows
 * with every check; it never reads as caught up. Ages are measured against the primary's clock alone (the beat times,
 * and the primary's time at the check, carried forward by this process's monotonic timer): the replica's clock, and
 * any skew between hosts, play no part. The beat time is read from the primary first and written as a literal, so the
 * row replicates the same value whatever the binlog format (Tandem requires ROW anyway).
 *
 * <p>Why not the GTID position ({@code @@gtid_binlog_pos} on the primary against {@code @@gtid_slave_pos}): it tells
 * whether a replica has reached a point, not how many milliseconds it is behind, which {@code --max-replica-lag} is
 * in; comparing positions of several replication domains is a partial order; and MySQL has no such variable. Why
 * not {@code SHOW REPLICA STATUS}: it needs REPLICA MONITOR (REPLICATION CLIENT on MySQL), gives whole seconds, and
 * showed 1 s where a heartbeat showed 1.26 s during a bulk update (docs/DESIGN.md, "MariaDB and MySQL").
 *
 * <p>The beats written are remembered in memory (the last {@value #KEPT}, over an hour at two checks a second), so a
 * beat a replica shows can be placed; one from an earlier run counts as older than all of this run's.
 */
final class ReplicationHeartbeat implements ReplicaLagMeter {
    /** The table in the state database; {@link MariaDbStateStore#install} creates it. */
    static final String TABLE = "replication_heartbeat";
    private static final int KEPT = 10_000;
    /** Times travel as text in this form, so that no session time zone or driver conversion touches them. */
    private static final String TEXT_FORM = "'%Y-%m-%d %H:%i:%s.%f'";
    private static final DateTimeFormatter TEXT = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss.SSSSSS");
    /** 1142: a table privilege is missing; 1044: the database may not be used at all. */
    private static final int TABLE_ACCESS_DENIED = 1142, DATABASE_ACCESS_DENIED = 1044;

    private final MariaDbDialect dialect;
    private final String stateSchema;
    private final String schema;
    /** The beats this meter wrote, oldest first. */
    private final Deque<LocalDateTime> written = new ArrayDeque<>();
    /** The primary's clock at the last mark, and this process's monotonic time then. */
    private LocalDateTime markedAt;
    private long markedNanos;

    ReplicationHeartbeat(MariaDbDialect dialect, String stateSchema, String schema) {
        this.dialect = dialect;
        this.stateSchema = stateSchema;
        this.schema = schema;
    }

    @Override
    public void mark(Connection primary) throws SQLException {
        LocalDateTime now;
        try (Statement st = primary.createStatement();
             ResultSet rs = st.executeQuery("SELECT DATE_FORMAT(UTC_TIMESTAMP(6), " + TEXT_FORM + ")")) {
            rs.next();
            now = LocalDateTime.parse(rs.getString(1), TEXT);
        }
        long nanos = System.nanoTime();
        // Each beat must be told apart from the one before, even if the primary's clock stood still or stepped back.
        LocalDateTime beat = written.isEmpty() || now.isAfter(written.peekLast()) ? now : written.peekLast().plusNanos(1000);
        try (PreparedStatement ps = primary.prepareStatement("INSERT INTO " + table() + " (schema_name, beat_at)"
                + " VALUES (?, ?) ON DUPLICATE KEY UPDATE beat_at = VALUES(beat_at)")) {
            ps.setString(1, schema);
            ps.setString(2, TEXT.format(beat));
            ps.executeUpdate();
        }
        written.addLast(beat);
        if (written.size() > KEPT) written.removeFirst();
        markedAt = now;
        markedNanos = nanos;
    }

    @Override
    public Lag lag(Connection primary, Connection replica) throws SQLException {
        if (written.isEmpty()) throw new IllegalStateException("lag() before mark()");
        LocalDateTime seen = appliedOn(replica);
        if (written.peekLast().equals(seen)) return Lag.behind(Duration.ZERO);
        LocalDateTime now = markedAt.plusNanos(System.nanoTime() - markedNanos);
        Duration behind = Duration.between(firstAfter(seen), now);
        if (behind.isNegative()) behind = Duration.ZERO;
        if (seen != null) return Lag.behind(behind);
        return new Lag(behind, "has applied none of Tandem's replication heartbeats (" + table() + "), the first written "
                + behind.toMillis() + " ms ago: is it a replica of this server, replicating database "
                + dialect.quote(stateSchema) + "?" + neverReplicated(replica));
    }

    /** The beat the replica has applied, or null when it has none (no row, no table, no state database yet). */
    private LocalDateTime appliedOn(Connection replica) throws SQLException {
        try (PreparedStatement ps = replica.prepareStatement("SELECT DATE_FORMAT(beat_at, " + TEXT_FORM + ") FROM "
                + table() + " WHERE schema_name = ?")) {
            ps.setString(1, schema);
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next() ? LocalDateTime.parse(rs.getString(1), TEXT) : null;
            }
        } catch (SQLException e) {
            int code = e.getErrorCode();
            if (code == MariaDbDialect.NO_SUCH_TABLE || code == MariaDbDialect.UNKNOWN_DATABASE) return null;
            if (code == TABLE_ACCESS_DENIED || code == DATABASE_ACCESS_DENIED) {
                throw new SQLException("this login may not read Tandem's replication heartbeat on the replica: grant it"
                        + " SELECT ON " + dialect.quote(stateSchema) + ".* there (" + e.getMessage() + ")",
                        e.getSQLState(), code, e);
            }
            throw e;
        }
    }

    /** The oldest beat written after {@code seen}; all of them when {@code seen} is none of this meter's beats. */
    private LocalDateTime firstAfter(LocalDateTime seen) {
        LocalDateTime after = null;
        for (Iterator<LocalDateTime> newestFirst = written.descendingIterator(); newestFirst.hasNext(); ) {
            LocalDateTime beat = newestFirst.next();
            if (beat.equals(seen)) return after;
            after = beat;
        }
        return written.peekFirst();
    }

    /** A hint for a server that never replicated at all (MariaDB shows it to anyone; MySQL does not). */
    private String neverReplicated(Connection replica) throws SQLException {
        if (dialect.flavor() != MariaDbDialect.Flavor.MARIADB) return "";
        try (Statement st = replica.createStatement(); ResultSet rs = st.executeQuery("SELECT @@gtid_slave_pos")) {
            rs.next();
            String pos = rs.getString(1);
            return pos == null || pos.isEmpty() ? " It has never applied anything from a primary (@@gtid_slave_pos is empty)." : "";
        }
    }

    private String table() {
        return dialect.qualify(stateSchema, TABLE);
    }
}
