package dev.tandem.dialect.mariadb;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;

/**
 * The user's objects that hold SQL text, in every database this login can see: views (their definitions as the server
 * prints them), triggers, stored procedures and functions, and events (their bodies as written). MariaDB records no
 * dependencies between objects, so what uses a table or a column is found by reading these texts
 * ({@link MariaDbNamePaths}).
 *
 * <p>What this login may not see is not found: a view's definition needs SHOW VIEW (or being its definer), a trigger
 * the TRIGGER privilege on its table, a routine's body being its definer or the global SELECT on mysql.proc
 * ("Information Schema VIEWS / TRIGGERS / ROUTINES Table" in the MariaDB manual). Tandem's own sync triggers
 * ({@code _tandem_*}) are left out.
 */
final class MariaDbStoredTexts {
    /**
     * One object and its text.
     *
     * @param kind    view, trigger, procedure, function or event
     * @param table   the table a trigger is on (in {@code schema}); null for the others
     * @param sqlMode the sql_mode the text was stored under (how to read it); null for views, printed in the default
     */
    record StoredText(String kind, String schema, String name, String table, String text, String sqlMode) {
        /** As the blockers name it: {@code view db.v}, {@code trigger trg on table db.t}, {@code procedure db.p}. */
        String describe() {
            return table != null ? kind + " " + name + " on table " + schema + "." + table : kind + " " + schema + "." + name;
        }

        List<MariaDbNamePaths.Path> names() {
            return MariaDbNamePaths.of(text, sqlMode);
        }
    }

    private MariaDbStoredTexts() {
    }

    /** The objects whose text contains {@code needle} (compared without case, as a first sieve), by kind and name. */
    static List<StoredText> containing(Connection c, String needle) throws SQLException {
        List<StoredText> found = new ArrayList<>();
        read(c, "SELECT 'view', TABLE_SCHEMA, TABLE_NAME, NULL, VIEW_DEFINITION, NULL FROM information_schema.VIEWS"
                + " WHERE LOCATE(?, VIEW_DEFINITION) > 0 ORDER BY TABLE_SCHEMA, TABLE_NAME", needle, found);
        read(c, "SELECT 'trigger', EVENT_OBJECT_SCHEMA, TRIGGER_NAME, EVENT_OBJECT_TABLE, ACTION_STATEMENT, SQL_MODE"
                + " FROM information_schema.TRIGGERS WHERE LOCATE(?, ACTION_STATEMENT) > 0"
                + " AND LEFT(TRIGGER_NAME, 8) <> '_tandem_' ORDER BY EVENT_OBJECT_SCHEMA, TRIGGER_NAME", needle, found);
        read(c, "SELECT LOWER(ROUTINE_TYPE), ROUTINE_SCHEMA, ROUTINE_NAME, NULL, ROUTINE_DEFINITION, SQL_MODE"
                + " FROM information_schema.ROUTINES WHERE LOCATE(?, ROUTINE_DEFINITION) > 0"
                + " ORDER BY ROUTINE_SCHEMA, ROUTINE_NAME", needle, found);
        read(c, "SELECT 'event', EVENT_SCHEMA, EVENT_NAME, NULL, EVENT_DEFINITION, SQL_MODE FROM information_schema.EVENTS"
                + " WHERE LOCATE(?, EVENT_DEFINITION) > 0 ORDER BY EVENT_SCHEMA, EVENT_NAME", needle, found);
        return found;
    }

    private static void read(Connection c, String sql, String needle, List<StoredText> into) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(sql)) {
            ps.setString(1, needle);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    into.add(new StoredText(rs.getString(1), rs.getString(2), rs.getString(3), rs.getString(4),
                            rs.getString(5), rs.getString(6)));
                }
            }
        }
    }
}
