package dev.tandem.dialect.mariadb;

import dev.tandem.dialect.Dialect;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;

/**
 * One chunk of {@code verify} on MariaDB and MySQL: the next rows by key, each with whether it matches each predicate,
 * counted here rather than by the server (neither has {@code FILTER} or an ordered, limited aggregate in every
 * supported version); only the key and a flag per predicate cross the wire.
 */
final class MariaDbVerify {
    /** As many sample keys per predicate as PostgreSQL's verify keeps. */
    private static final int SAMPLES = 5;

    private MariaDbVerify() {
    }

    static Dialect.VerifyChunk chunk(Dialect d, Connection c, String schema, String table, MariaDbKeys key,
                                     List<String> after, int size, List<String> predicates) throws SQLException {
        StringBuilder sql = new StringBuilder("SELECT ").append(key.selectList());
        // A predicate that is NULL is not a match: CHECK constraints pass on NULL, and so does this.
        for (String p : predicates) sql.append(", (").append(p).append(") IS TRUE");
        sql.append(" FROM ").append(d.qualify(schema, table));
        if (after != null) sql.append(" WHERE ").append(key.compare(">"));
        sql.append(" ORDER BY ").append(key.order("ASC")).append(" LIMIT ?");
        long walked = 0;
        long[] counts = new long[predicates.size()];
        List<List<String>> samples = new ArrayList<>();
        for (int p = 0; p < predicates.size(); p++) samples.add(new ArrayList<>());
        List<String> last = null;
        try (PreparedStatement ps = c.prepareStatement(sql.toString())) {
            int i = 1;
            if (after != null) for (String v : key.afterValues(after)) ps.setString(i++, v);
            ps.setInt(i, size);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    walked++;
                    last = key.read(rs, 1);
                    for (int p = 0; p < predicates.size(); p++) {
                        if (!rs.getBoolean(key.size() + 1 + p)) continue;
                        counts[p]++;
                        if (samples.get(p).size() < SAMPLES) samples.get(p).add(text(last));
                    }
                }
            }
        }
        return new Dialect.VerifyChunk(walked, last, counts, samples.stream().map(List::copyOf).toList());
    }

    /** A key as PostgreSQL prints it: the value alone, or {@code (a,b)} for a key of several columns. */
    private static String text(List<String> key) {
        return key.size() == 1 ? key.get(0) : "(" + String.join(",", key) + ")";
    }
}
