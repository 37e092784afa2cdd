package dev.tandem.dialect.mariadb;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;


/**
 * What is not Tandem's in or on a version database, which contract (the previous version's) and rollback (the new
 * one's) drop with {@code DROP DATABASE}: that would take along anything in it and break anything elsewhere that uses
 * its views, so they refuse while there is any.
 *
 * <p>In it: tables and sequences, views that are not of the form Tandem creates (one table of the managed database,
 * every column a plain column reference, see {@link MariaDbVersionViews}), procedures, functions and events.
 * Elsewhere: views whose definition reads one of its views, and triggers, routines and events whose text names one
 * ("by its text": MariaDB records no dependencies; see {@link MariaDbStoredTexts} for what this login can see).
 */
final class MariaDbVersionDatabaseBlockers {
    private MariaDbVersionDatabaseBlockers() {
    }

    static List<String> of(Connection c, String versionDatabase) throws SQLException {
        List<String> found = new ArrayList<>();
        query(c, """
                SELECT CONCAT(CASE TABLE_TYPE WHEN 'SEQUENCE' THEN 'sequence ' ELSE 'table ' END, TABLE_SCHEMA, '.', TABLE_NAME)
                FROM information_schema.TABLES WHERE TABLE_SCHEMA = ? AND TABLE_TYPE <> 'VIEW' ORDER BY TABLE_NAME""",
                versionDatabase, found);
        try (PreparedStatement ps = c.prepareStatement("SELECT TABLE_NAME, VIEW_DEFINITION FROM information_schema.VIEWS"
                + " WHERE TABLE_SCHEMA = ? ORDER BY TABLE_NAME")) {
            ps.setString(1, versionDatabase);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    String definition = rs.getString(2);
                    if (MariaDbVersionViews.parse(definition) != null) continue;
                    found.add("view " + versionDatabase + "." + rs.getString(1) + (definition == null || definition.isEmpty()
                            ? " (its definition is hidden from this login, which needs SHOW VIEW on it)" : ""));
                }
            }
        }
        query(c, "SELECT CONCAT(LOWER(ROUTINE_TYPE), ' ', ROUTINE_SCHEMA, '.', ROUTINE_NAME) FROM information_schema.ROUTINES"
                + " WHERE ROUTINE_SCHEMA = ? ORDER BY ROUTINE_NAME", versionDatabase, found);
        query(c, "SELECT CONCAT('event ', EVENT_SCHEMA, '.', EVENT_NAME) FROM information_schema.EVENTS"
                + " WHERE EVENT_SCHEMA = ? ORDER BY EVENT_NAME", versionDatabase, found);
        for (MariaDbStoredTexts.StoredText t : MariaDbStoredTexts.containing(c, versionDatabase)) {
            if (t.schema().equals(versionDatabase)) continue;
            Optional<String> used = t.names().stream().filter(p -> p.parts().size() >= 2
                    && p.parts().get(0).equals(versionDatabase)).map(p -> versionDatabase + "." + p.parts().get(1)).findFirst();
            if (used.isEmpty()) continue;
            found.add(t.describe() + " (it " + (t.kind().equals("view") ? "depends on " : "names ") + used.get()
                    + (t.kind().equals("view") ? "" : ", by its text") + ")");
        }
        return found;
    }

    private static void query(Connection c, String sql, String versionDatabase, List<String> into) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(sql)) {
            ps.setString(1, versionDatabase);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) into.add(rs.getString(1));
            }
        }
    }
}
