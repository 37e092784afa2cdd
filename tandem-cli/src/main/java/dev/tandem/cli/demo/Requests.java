package dev.tandem.cli.demo;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.Queue;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;

/**
 * The identity service's requests, as each application version writes them: create a user, authenticate by
 * name, update, list, delete. Seeded users (ids 1..rows) are only read and updated, so authentication always has
 * someone to find; deletes take users the demo created itself.
 */
final class Requests {
    enum Kind { CREATE, AUTHENTICATE, UPDATE, LIST, DELETE }

    private final String version;
    private final int seeded;
    private final Set<Long> created;
    private final Queue<Long> deletable;
    private final Set<Long> deleted;

    Requests(String version, int seeded, Set<Long> created, Queue<Long> deletable, Set<Long> deleted) {
        this.version = version;
        this.seeded = seeded;
        this.created = created;
        this.deletable = deletable;
        this.deleted = deleted;
    }

    private boolean v2() {
        return version.equals(DemoSchema.V2);
    }

    static Kind pick() {
        int r = ThreadLocalRandom.current().nextInt(100);
        if (r < 10) return Kind.CREATE;
        if (r < 60) return Kind.AUTHENTICATE;
        if (r < 80) return Kind.UPDATE;
        if (r < 95) return Kind.LIST;
        return Kind.DELETE;
    }

    void run(Connection c, Kind kind) throws SQLException {
        ThreadLocalRandom random = ThreadLocalRandom.current();
        String name = v2() ? "username" : "name";
        switch (kind) {
            case CREATE -> {
                String user = "new-" + version.substring(0, 3) + "-" + random.nextLong(Long.MAX_VALUE);
                String sql = v2()
                        ? "INSERT INTO users (username, password_hash, enabled, email) VALUES (?, md5(?), true, ?)"
                        : "INSERT INTO users (name, password_hash, enabled, extra) VALUES (?, md5(?), 1, '{}')";
                // The new id as the driver reads it back: RETURNING on PostgreSQL, the insert id on MariaDB.
                try (PreparedStatement ps = c.prepareStatement(sql, new String[]{"id"})) {
                    ps.setString(1, user);
                    ps.setString(2, user);
                    if (v2()) ps.setString(3, user + "@v2.example");
                    ps.executeUpdate();
                    try (ResultSet rs = ps.getGeneratedKeys()) {
                        if (!rs.next()) throw new SQLException("the insert returned no id");
                        long id = rs.getLong(1);
                        created.add(id);
                        deletable.add(id);
                    }
                }
            }
            case AUTHENTICATE -> {
                try (PreparedStatement ps = c.prepareStatement("SELECT id, password_hash, enabled FROM users WHERE " + name + " = ?")) {
                    ps.setString(1, "user" + (1 + random.nextInt(seeded)));
                    try (ResultSet rs = ps.executeQuery()) {
                        if (!rs.next()) throw new SQLException("authentication found no user");
                    }
                }
            }
            case UPDATE -> {
                try (PreparedStatement ps = c.prepareStatement("UPDATE users SET enabled = ? WHERE id = ?")) {
                    if (v2()) ps.setBoolean(1, random.nextBoolean());
                    else ps.setInt(1, random.nextInt(2));
                    ps.setLong(2, 1 + random.nextInt(seeded));
                    ps.executeUpdate();
                }
            }
            case LIST -> {
                try (PreparedStatement ps = c.prepareStatement("SELECT id, " + name + " FROM users ORDER BY id DESC LIMIT 20");
                     ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        rs.getString(2);
                    }
                }
            }
            case DELETE -> {
                Long id = deletable.poll();
                if (id == null) return;
                try (PreparedStatement ps = c.prepareStatement("DELETE FROM users WHERE id = ?")) {
                    ps.setLong(1, id);
                    if (ps.executeUpdate() == 1) deleted.add(id);
                }
            }
        }
    }
}
