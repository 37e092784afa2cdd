package dev.tandem.cli.demo;

import dev.tandem.TandemException;
import dev.tandem.dialect.Dialect;
import dev.tandem.engine.Names;

import java.io.PrintWriter;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;

/**
 * The schemas one demo run owns: the service's tables, Tandem's state and the two version schemas, all named
 * after {@code --schema}. The demo labels the schemas it creates, so that the next run can drop what a previous
 * one left without ever touching a schema it did not make.
 */
final class DemoSchemas {
    /** The label, as the schema's comment. */
    static final String LABEL = "created by tandem demo; the next tandem demo run with this --schema drops it";

    private final Dialect dialect;
    final String schema;

    /** @param dialect the demo database's, as {@link dev.tandem.dialect.Dialects} chose it */
    DemoSchemas(String schema, Dialect dialect) {
        this.schema = schema;
        this.dialect = dialect;
    }

    /** The demo's own state schema: it never shares Tandem's state with anything else on the database. */
    String stateSchema() {
        return Names.versionSchema(schema, "state");
    }

    String versionSchema(String version) {
        return Names.versionSchema(schema, version);
    }

    String quoted(String name) {
        return dialect.quote(name);
    }

    /**
     * Drops what a previous run left. The service's schema is the demo's if it carries the label; then so are the
     * others, which Tandem created for it. Anything else of those names is refused (nothing dropped), unless
     * {@code force}.
     */
    void dropPrevious(Connection c, boolean force, PrintWriter log) throws SQLException {
        List<String> derived = List.of(stateSchema(), versionSchema(DemoSchema.V1), versionSchema(DemoSchema.V2));
        Boolean ours = labelled(c, schema);
        if (!force) {
            String foreign = ours == null ? derived.stream().filter(n -> exists(c, n)).findFirst().orElse(null)
                    : ours ? null : schema;
            if (foreign != null) {
                throw new TandemException(TandemException.Kind.INVALID_INPUT, "schema \"" + foreign + "\" exists and was not"
                        + " created by tandem demo, so the demo leaves it alone: choose another name with --schema, or"
                        + " pass --reset to drop it with everything in it");
            }
        }
        try (Statement st = c.createStatement()) {
            for (String name : concat(schema, derived)) {
                if (!exists(c, name)) continue;
                log.println("dropping schema " + name + (force ? " (--reset)" : ", left by a previous demo run"));
                st.execute("DROP SCHEMA " + dialect.quote(name) + " CASCADE");
            }
        }
    }

    /** Creates the service's schema, labelled. */
    void create(Connection c) throws SQLException {
        try (Statement st = c.createStatement()) {
            st.execute("CREATE SCHEMA " + dialect.quote(schema));
            st.execute("COMMENT ON SCHEMA " + dialect.quote(schema) + " IS " + dialect.literal(LABEL));
        }
    }

    private static List<String> concat(String first, List<String> rest) {
        List<String> all = new java.util.ArrayList<>();
        all.add(first);
        all.addAll(rest);
        return all;
    }

    private static boolean exists(Connection c, String name) {
        try {
            return labelled(c, name) != null;
        } catch (SQLException e) {
            throw new TandemException(TandemException.Kind.DATABASE, "could not look up schema " + name + ": " + e.getMessage(), e);
        }
    }

    /** null: no such schema; otherwise whether it carries the demo's label. */
    private static Boolean labelled(Connection c, String name) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(
                "SELECT obj_description(oid, 'pg_namespace') IS NOT DISTINCT FROM ? FROM pg_namespace WHERE nspname = ?")) {
            ps.setString(1, LABEL);
            ps.setString(2, name);
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next() ? rs.getBoolean(1) : null;
            }
        }
    }
}
