package dev.tandem.dialect.mariadb;

import dev.tandem.catalog.VersionNames;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * What a version database's views call the physical tables and columns. On MariaDB physical names stay after contract
 * and the views alias them, so the next migration must read the names the application sees from the views, not from
 * the tables. Only views of the shape Tandem creates are read: {@code select `db`.`t`.`col` AS `name`,... from `db`.`t`}
 * (information_schema.VIEWS.VIEW_DEFINITION, MariaDB manual "Information Schema VIEWS Table"); anything else is left out,
 * and its table keeps its physical names.
 */
final class MariaDbVersionViews {
    /** A backticked name, with doubled backticks inside. */
    private static final String NAME = "`((?:[^`]|``)*)`";
    private static final Pattern ITEM = Pattern.compile(NAME + "\\." + NAME + "\\." + NAME + " AS " + NAME);
    private static final Pattern FROM = Pattern.compile(" from " + NAME + "\\." + NAME + "\\s*$");

    private MariaDbVersionViews() {
    }

    static VersionNames read(Connection c, String versionDatabase) throws SQLException {
        Map<String, VersionNames.Table> tables = new HashMap<>();
        try (PreparedStatement ps = c.prepareStatement("SELECT TABLE_NAME, VIEW_DEFINITION FROM information_schema.VIEWS"
                + " WHERE TABLE_SCHEMA = ?")) {
            ps.setString(1, versionDatabase);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    View v = parse(rs.getString(2));
                    if (v != null) tables.put(v.table(), new VersionNames.Table(rs.getString(1), v.columns()));
                }
            }
        }
        return new VersionNames(tables);
    }

    record View(String table, Map<String, String> columns) {
    }

    /** The physical table and physical column → name of a view Tandem made; null for any other view. */
    static View parse(String definition) {
        if (definition == null) return null;
        Matcher from = FROM.matcher(definition);
        if (!from.find()) return null;
        String db = unquote(from.group(1));
        String table = unquote(from.group(2));
        Map<String, String> columns = new HashMap<>();
        Matcher item = ITEM.matcher(definition.substring(0, from.start()));
        List<String> seen = new ArrayList<>();
        while (item.find()) {
            if (!unquote(item.group(1)).equals(db) || !unquote(item.group(2)).equals(table)) return null;
            String physical = unquote(item.group(3));
            String name = unquote(item.group(4));
            seen.add(physical);
            if (!physical.equals(name)) columns.put(physical, name);
        }
        return seen.isEmpty() ? null : new View(table, columns);
    }

    private static String unquote(String s) {
        return s.replace("``", "`");
    }
}
