package dev.tandem.dialect.mariadb;

import dev.tandem.catalog.Catalog;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static dev.tandem.dialect.mariadb.MariaDbNames.qualify;
import static dev.tandem.dialect.mariadb.MariaDbNames.quote;

/**
 * Tries an index Tandem carries onto a shadow column on an empty copy of the table, as {@link MariaDbDdl#createIndex}
 * would build it on the table, before anything is changed: a key longer than the engine allows, a prefix on a column
 * that is no string, a unique key over TEXT.
 *
 * <p>The copy is one statement, {@code CREATE TEMPORARY TABLE copy (<added columns>, <the index>) SELECT * FROM table
 * WHERE FALSE}: the table's columns with their types and character sets, the added ones and the index, with no row
 * read. One statement, because on a temporary table ALTER TABLE and CREATE INDEX commit the open transaction and
 * CREATE TEMPORARY TABLE does not (measured); not {@code LIKE}, which a partitioned table refuses (1478). The table's
 * other indexes are not copied, so the limit of 64 indexes per table is not checked.
 */
final class MariaDbIndexCheck {
    private static final String COPY = "_tandem_index_check";
    /** Engines a temporary copy can have; a table of another is copied into InnoDB. */
    private static final Set<String> TEMPORARY_ENGINES = Set.of("InnoDB", "MyISAM", "Aria");

    private MariaDbIndexCheck() {
    }

    /**
     * @param addedColumns the shadow columns the index uses, name → type
     * @throws SQLException with the server's reason when the index cannot be built so; also when MariaDB would build it
     *                      only as a hash of the values (a unique key over values longer than a key may be), which it
     *                      cannot add to the table without copying it (1846, measured)
     */
    static void check(Connection c, String database, String table, Map<String, String> addedColumns,
                      Catalog.IndexShape shape, boolean unique) throws SQLException {
        List<String> definitions = new ArrayList<>();
        for (var column : addedColumns.entrySet()) {
            String problem = MariaDbTypes.problem(column.getValue());
            if (problem != null) throw new SQLException("\"" + column.getValue() + "\" is not a column type: " + problem, "42000");
            definitions.add(quote(column.getKey()) + " " + column.getValue() + " NULL");
        }
        try {
            definitions.add((unique ? "UNIQUE " : "") + "INDEX " + quote(COPY) + " " + MariaDbDdl.indexKeys(COPY, shape));
        } catch (UnsupportedOperationException e) {
            throw new SQLException(e.getMessage(), "0A000", e);
        }
        String copy = qualify(database, COPY);
        try (Statement st = c.createStatement()) {
            st.execute("DROP TEMPORARY TABLE IF EXISTS " + copy);
            try {
                st.execute("CREATE TEMPORARY TABLE " + copy + " (" + String.join(", ", definitions) + ") ENGINE="
                        + engine(c, database, table) + " SELECT * FROM " + qualify(database, table) + " WHERE FALSE");
                refuseLongUnique(st, copy);
            } catch (SQLException e) {
                String said = e.getMessage() == null ? "" : e.getMessage().replaceFirst("^\\(conn=\\d+\\)\\s*", "");
                throw new SQLException(said.replace(copy, "the table").replace(quote(COPY), "the index")
                        .replace("'" + COPY + "'", "the index"), e.getSQLState(), e.getErrorCode(), e);
            } finally {
                st.execute("DROP TEMPORARY TABLE IF EXISTS " + copy);
            }
        }
    }

    /**
     * A unique index over values longer than an index key may hold is kept by MariaDB as a hash over a hidden virtual
     * column (a "long unique" key, shown with the index type HASH on engines that have no hash indexes), and such an
     * index cannot be added in place. A non-unique key too long for the engine is cut to a prefix with a warning
     * (1071), here as in the table's ADD INDEX: it is built, and passes.
     */
    private static void refuseLongUnique(Statement st, String copy) throws SQLException {
        try (ResultSet rs = st.executeQuery("SHOW INDEX FROM " + copy)) {
            while (rs.next()) {
                if (COPY.equals(rs.getString("Key_name")) && "HASH".equalsIgnoreCase(rs.getString("Index_type"))) {
                    throw new SQLException("MariaDB can keep this unique index only as a hash of its values (a long"
                            + " unique key: its values may be longer than an index key), which it cannot add without"
                            + " copying the table", "0A000");
                }
            }
        }
    }

    private static String engine(Connection c, String database, String table) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("SELECT ENGINE FROM information_schema.TABLES"
                + " WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ?")) {
            ps.setString(1, database);
            ps.setString(2, table);
            try (ResultSet rs = ps.executeQuery()) {
                String engine = rs.next() ? rs.getString(1) : null;
                return engine != null && TEMPORARY_ENGINES.contains(engine) ? engine : "InnoDB";
            }
        }
    }
}
