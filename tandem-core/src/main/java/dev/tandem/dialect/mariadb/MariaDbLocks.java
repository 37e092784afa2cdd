package dev.tandem.dialect.mariadb;

import dev.tandem.dialect.Dialect;
import dev.tandem.engine.LockMode;
import dev.tandem.engine.TableLock;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Locks on MariaDB and MySQL: the migration lock is a named user lock ({@code GET_LOCK}, "GET_LOCK" in the MariaDB
 * manual), held by the session and released when it ends, however it ends; a session's table locks are its metadata
 * locks, which only the {@code METADATA_LOCK_INFO} plugin shows (MariaDB; MySQL's counterpart is
 * {@code performance_schema.metadata_locks}).
 */
final class MariaDbLocks {
    /** MySQL refuses user lock names longer than this (error 3057); MariaDB takes longer ones, but both take these. */
    static final int MAX_LOCK_NAME = 64;

    private MariaDbLocks() {
    }

    /** The user lock's name for a migration lock key: the key itself, or a digest of it where it is too long. */
    static String lockName(String key) {
        if (key.length() <= MAX_LOCK_NAME) return key;
        try {
            byte[] digest = MessageDigest.getInstance("SHA-256").digest(key.getBytes(StandardCharsets.UTF_8));
            String hash = HexFormat.of().formatHex(digest).substring(0, 24);
            return key.substring(0, MAX_LOCK_NAME - hash.length() - 1) + "#" + hash;
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** {@code GET_LOCK(name, 0)}: 1 taken, 0 held by another session (NULL only on an error, which throws instead). */
    static boolean tryLock(Connection c, String key) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("SELECT GET_LOCK(?, 0)")) {
            ps.setString(1, lockName(key));
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                return rs.getInt(1) == 1;
            }
        }
    }

    /** {@code CONNECTION_ID()}: the id {@code IS_USED_LOCK} and {@code METADATA_LOCK_INFO} give a holder. */
    static long sessionId(Connection c) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("SELECT CONNECTION_ID()"); ResultSet rs = ps.executeQuery()) {
            rs.next();
            return rs.getLong(1);
        }
    }

    static void release(Connection c, String key) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("SELECT RELEASE_LOCK(?)")) {
            ps.setString(1, lockName(key));
            ps.execute();
        }
    }

    /**
     * The sessions holding the migration lock: by {@code METADATA_LOCK_INFO} where the plugin is loaded (every holder),
     * else by {@code IS_USED_LOCK} (the one holder). Each named as it named itself where the Performance Schema shows
     * that, with its client host from the process list. MariaDB keeps no time a session connected or took the lock,
     * so {@code since} is unknown.
     */
    static List<Dialect.LockHolder> holders(Connection c, String key) throws SQLException {
        List<Long> ids = new ArrayList<>();
        String name = lockName(key);
        if (metadataLockInfo(c)) {
            try (PreparedStatement ps = c.prepareStatement("SELECT THREAD_ID FROM information_schema.METADATA_LOCK_INFO"
                    + " WHERE LOCK_TYPE = 'User lock' AND TABLE_SCHEMA = ? ORDER BY THREAD_ID")) {
                ps.setString(1, name);
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) ids.add(rs.getLong(1));
                }
            }
        } else {
            try (PreparedStatement ps = c.prepareStatement("SELECT IS_USED_LOCK(?)")) {
                ps.setString(1, name);
                try (ResultSet rs = ps.executeQuery()) {
                    rs.next();
                    long id = rs.getLong(1);
                    if (!rs.wasNull()) ids.add(id);
                }
            }
        }
        if (ids.isEmpty()) return List.of();
        Map<Long, MariaDbSessions.Session> sessions = new TreeMap<>();
        for (MariaDbSessions.Session s : MariaDbSessions.visible(c)) sessions.put(s.id(), s);
        Map<Long, String> names = MariaDbSessions.names(c);
        List<Dialect.LockHolder> holders = new ArrayList<>();
        for (long id : ids) {
            MariaDbSessions.Session s = sessions.get(id);
            // The connection id too: without the Performance Schema (off by default) it is all that tells Tandem's
            // session apart from another, and what KILL CONNECTION takes.
            String client = s != null ? s.host() + ", connection " + id
                    : "connection " + id + ", not visible to this login (it needs PROCESS)";
            holders.add(new Dialect.LockHolder(id, names.get(id), client, null));
        }
        return holders;
    }

    /** Whether the {@code METADATA_LOCK_INFO} plugin is loaded ("METADATA_LOCK_INFO Plugin" in the MariaDB manual). */
    static boolean metadataLockInfo(Connection c) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("SELECT 1 FROM information_schema.PLUGINS"
                + " WHERE PLUGIN_NAME = 'METADATA_LOCK_INFO' AND PLUGIN_STATUS = 'ACTIVE'");
             ResultSet rs = ps.executeQuery()) {
            return rs.next();
        }
    }

    /**
     * The tables and views this session holds metadata locks on, each with the PostgreSQL mode that lets through and
     * blocks what the metadata lock does ("Metadata Locking" in the MariaDB manual): shared read → ACCESS SHARE,
     * shared write → ROW EXCLUSIVE, upgradable / intention → SHARE UPDATE EXCLUSIVE (blocks no reads or writes), no
     * write or read only → EXCLUSIVE (blocks writes), no read-write and exclusive → ACCESS EXCLUSIVE.
     *
     * <p>MySQL has no METADATA_LOCK_INFO; its {@code performance_schema.metadata_locks} ("The metadata_locks Table",
     * 29.12.13.3 of the MySQL 8.4 manual) lists the same locks, with the same lock type names, where the Performance
     * Schema is on (the default on MySQL), its instrument {@code wait/lock/metadata/sql/mdl} is enabled (the default),
     * this session's thread is instrumented (the default) and the login may SELECT from it ({@link
     * #PERFORMANCE_SCHEMA_LOCKS_READABLE}). MariaDB 10.5+ has the same table, off by default.
     *
     * @throws Dialect.LocksUnknown when the plugin is not loaded (MariaDB) or the table cannot be read so (MySQL)
     */
    static List<TableLock> held(Connection c, MariaDbDialect.Flavor flavor) throws SQLException {
        String sql;
        if (flavor == MariaDbDialect.Flavor.MARIADB) {
            if (!metadataLockInfo(c)) {
                throw new Dialect.LocksUnknown("MariaDB shows a session's metadata locks only with the METADATA_LOCK_INFO"
                        + " plugin (INSTALL SONAME 'metadata_lock_info')");
            }
            sql = "SELECT LOCK_MODE, TABLE_SCHEMA, TABLE_NAME"
                    + " FROM information_schema.METADATA_LOCK_INFO WHERE THREAD_ID = CONNECTION_ID()"
                    + " AND LOCK_TYPE = 'Table metadata lock'"
                    + " AND TABLE_SCHEMA NOT IN ('mysql', 'information_schema', 'performance_schema', 'sys')";
        } else {
            if (!performanceSchemaLocks(c)) {
                throw new Dialect.LocksUnknown("MySQL shows a session's metadata locks only in"
                        + " performance_schema.metadata_locks: with performance_schema=ON, the instrument"
                        + " wait/lock/metadata/sql/mdl enabled (both the default) and SELECT on performance_schema.* for"
                        + " Tandem's login");
            }
            sql = PERFORMANCE_SCHEMA_LOCKS_HELD;
        }
        Map<String, TableLock> locks = new TreeMap<>();
        try (PreparedStatement ps = c.prepareStatement(sql);
             ResultSet rs = ps.executeQuery()) {
            while (rs.next()) {
                LockMode mode = mode(rs.getString(1));
                if (mode == null || rs.getString(3) == null || rs.getString(3).isEmpty()) continue;
                TableLock lock = new TableLock(rs.getString(2), rs.getString(3), mode);
                locks.merge(lock.qualifiedName(), lock, (a, b) -> a.mode().strongest(b.mode()) == a.mode() ? a : b);
            }
        }
        return List.copyOf(locks.values());
    }

    /**
     * Whether this session's metadata locks show in performance_schema.metadata_locks: the Performance Schema on, the
     * metadata lock instrument enabled and this session's thread instrumented. An empty table would otherwise read as
     * "no locks held".
     */
    static final String PERFORMANCE_SCHEMA_LOCKS_READABLE = "SELECT @@GLOBAL.performance_schema = 1"
            + " AND EXISTS (SELECT 1 FROM performance_schema.setup_instruments"
            + " WHERE NAME = 'wait/lock/metadata/sql/mdl' AND ENABLED = 'YES')"
            + " AND EXISTS (SELECT 1 FROM performance_schema.threads"
            + " WHERE PROCESSLIST_ID = CONNECTION_ID() AND INSTRUMENTED = 'YES')";

    /** This session's granted table metadata locks: lock type, database, table. */
    static final String PERFORMANCE_SCHEMA_LOCKS_HELD = "SELECT m.LOCK_TYPE, m.OBJECT_SCHEMA, m.OBJECT_NAME"
            + " FROM performance_schema.metadata_locks m JOIN performance_schema.threads t ON t.THREAD_ID = m.OWNER_THREAD_ID"
            + " WHERE t.PROCESSLIST_ID = CONNECTION_ID() AND m.OBJECT_TYPE = 'TABLE' AND m.LOCK_STATUS = 'GRANTED'"
            + " AND m.OBJECT_SCHEMA NOT IN ('mysql', 'information_schema', 'performance_schema', 'sys')";

    private static boolean performanceSchemaLocks(Connection c) {
        try (PreparedStatement ps = c.prepareStatement(PERFORMANCE_SCHEMA_LOCKS_READABLE); ResultSet rs = ps.executeQuery()) {
            return rs.next() && rs.getBoolean(1);
        } catch (SQLException e) {
            // No SELECT on performance_schema (1142), or a server built without it: the locks are unknown.
            return false;
        }
    }

    /** A metadata lock mode ({@code MDL_SHARED_WRITE}) as the PostgreSQL mode of the same effect; null if unknown. */
    static LockMode mode(String mdl) {
        return switch (mdl == null ? "" : mdl.replaceFirst("^MDL_", "")) {
            case "SHARED", "SHARED_HIGH_PRIO", "SHARED_READ" -> LockMode.ACCESS_SHARE;
            case "SHARED_WRITE", "SHARED_WRITE_LOW_PRIO" -> LockMode.ROW_EXCLUSIVE;
            case "INTENTION_EXCLUSIVE", "SHARED_UPGRADABLE" -> LockMode.SHARE_UPDATE_EXCLUSIVE;
            case "SHARED_READ_ONLY", "SHARED_NO_WRITE" -> LockMode.EXCLUSIVE;
            case "SHARED_NO_READ_WRITE", "EXCLUSIVE" -> LockMode.ACCESS_EXCLUSIVE;
            default -> null;
        };
    }
}
