package dev.tandem.schema;

import dev.tandem.testing.Pg;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;

/**
 * One version of the application, as its instances connect: as the application's role (not the owner), with the
 * version's search path and the tenant it serves (which row-level security reads from {@code app.tenant}).
 *
 * @param label      how an assertion names this version and when ("the previous version after expand")
 * @param role       the role it logs in as
 * @param searchPath the version's search path, quoted
 * @param code       the name this version has for orders.code (the rename test renames it)
 */
record AppSession(String label, String role, String searchPath, String code) {

    /** Runs {@code sql} in a new connection of this version and returns the first column of its first row, if any. */
    Object run(String sql, Object... params) throws SQLException {
        try (Connection c = Pg.dataSourceAs(role).getConnection()) {
            try (Statement st = c.createStatement()) {
                st.execute("SET search_path TO " + searchPath);
                st.execute("SET app.tenant = 'a'");
            }
            try (PreparedStatement ps = c.prepareStatement(sql.replace("{code}", code))) {
                for (int i = 0; i < params.length; i++) ps.setObject(i + 1, params[i]);
                if (!ps.execute()) return ps.getUpdateCount();
                try (ResultSet rs = ps.getResultSet()) {
                    return rs.next() ? rs.getObject(1) : null;
                }
            }
        }
    }

    @Override
    public String toString() {
        return label;
    }
}
