package dev.tandem.testing;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeMap;

/**
 * The MariaDB counterpart of {@link SchemaSnapshot}: every object of a schema's databases (the schema's own and its
 * version databases, all whose name starts with the schema's) as the server prints its definition, so that two
 * moments compare equal only if nothing was created, dropped or changed. Tables by {@code SHOW CREATE TABLE} (columns,
 * types, defaults, keys, CHECKs, foreign keys, engine, collation, comments; the AUTO_INCREMENT counter left out, as
 * inserts move it), views by {@code SHOW CREATE VIEW}, triggers with their event, timing, order and body, stored
 * routines and events with their bodies. The schema's name is shown as {@code ${schema}}.
 */
public final class MariaDbSnapshot {
    private MariaDbSnapshot() {
    }

    /** The objects of {@code schema} and of every database whose name starts with it, by "database: kind name". */
    public static TreeMap<String, String> of(String schema) {
        TreeMap<String, String> objects = new TreeMap<>();
        try (Connection c = MariaDb.dataSource().getConnection(); Statement st = c.createStatement()) {
            for (String db : column(st, "SELECT SCHEMA_NAME FROM information_schema.SCHEMATA ORDER BY 1")) {
                if (!db.startsWith(schema)) continue;
                String at = db.replace(schema, "${schema}") + ": ";
                objects.put(at + "database", single(st, "SHOW CREATE DATABASE " + quote(db), 2, schema));
                for (String table : column(st, "SELECT TABLE_NAME FROM information_schema.TABLES WHERE TABLE_SCHEMA = "
                        + literal(db) + " AND TABLE_TYPE = 'BASE TABLE' ORDER BY 1")) {
                    objects.put(at + "table " + table, single(st, "SHOW CREATE TABLE " + quote(db) + "." + quote(table), 2, schema)
                            .replaceAll(" AUTO_INCREMENT=\\d+", ""));
                }
                for (String view : column(st, "SELECT TABLE_NAME FROM information_schema.VIEWS WHERE TABLE_SCHEMA = "
                        + literal(db) + " ORDER BY 1")) {
                    objects.put(at + "view " + view, single(st, "SHOW CREATE VIEW " + quote(db) + "." + quote(view), 2, schema));
                }
                rows(st, objects, at + "trigger ", schema, "SELECT TRIGGER_NAME, CONCAT_WS(' ', ACTION_TIMING,"
                        + " EVENT_MANIPULATION, EVENT_OBJECT_TABLE, ACTION_ORDER, DEFINER, ACTION_STATEMENT)"
                        + " FROM information_schema.TRIGGERS WHERE TRIGGER_SCHEMA = " + literal(db));
                rows(st, objects, at + "routine ", schema, "SELECT CONCAT(ROUTINE_TYPE, ' ', ROUTINE_NAME),"
                        + " ROUTINE_DEFINITION FROM information_schema.ROUTINES WHERE ROUTINE_SCHEMA = " + literal(db));
                rows(st, objects, at + "event ", schema, "SELECT EVENT_NAME, EVENT_DEFINITION FROM information_schema.EVENTS"
                        + " WHERE EVENT_SCHEMA = " + literal(db));
            }
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
        return objects;
    }

    private static void rows(Statement st, TreeMap<String, String> into, String prefix, String schema, String sql)
            throws SQLException {
        try (ResultSet rs = st.executeQuery(sql)) {
            while (rs.next()) into.put(prefix + rs.getString(1), String.valueOf(rs.getString(2)).replace(schema, "${schema}"));
        }
    }

    private static List<String> column(Statement st, String sql) throws SQLException {
        List<String> values = new ArrayList<>();
        try (ResultSet rs = st.executeQuery(sql)) {
            while (rs.next()) values.add(rs.getString(1));
        }
        return values;
    }

    private static String single(Statement st, String sql, int column, String schema) throws SQLException {
        try (ResultSet rs = st.executeQuery(sql)) {
            rs.next();
            return rs.getString(column).replace(schema, "${schema}");
        }
    }

    private static String quote(String name) {
        return "`" + name.replace("`", "``") + "`";
    }

    private static String literal(String value) {
        return "'" + value.replace("\\", "\\\\").replace("'", "''") + "'";
    }
}
