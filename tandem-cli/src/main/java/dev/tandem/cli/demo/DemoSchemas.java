package dev.tandem.cli.demo;

import dev.tandem.TandemException;
import dev.tandem.engine.Names;

import java.io.PrintWriter;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;

/**
 * The schemas (databases, on MariaDB) one demo run owns: the service's tables, Tandem's state and the two version
 * schemas, all named after {@code --schema}. The demo labels the schema it creates, so that the next run can drop
 * what a previous one left without ever touching a schema it did not make.
 */
final class DemoSchemas {
    /** The label, as the schema's comment. */
    static final String LABEL = "created by tandem demo; the next tandem demo run with this --schema drops it";

    private final DemoDatabase database;
    final String schema;

    DemoSchemas(String schema, DemoDatabase database) {
        this.schema = schema;
        this.database = database;
    }

    /** The demo's own state schema: it never shares Tandem's state with anything else on the database. */
    String stateSchema() {
        return Names.versionSchema(schema, "state");
    }

    String versionSchema(String version) {
        return Names.versionSchema(schema, version);
    }

    String quoted(String name) {
        return database.dialect().quote(name);
    }

    /**
     * Drops what a previous run left. The service's schema is the demo's if it carries the label; then so are the
     * others, which Tandem created for it. Anything else of those names is refused (nothing dropped), unless
     * {@code force}.
     */
    void dropPrevious(Connection c, boolean force, PrintWriter log) throws SQLException {
        List<String> derived = List.of(stateSchema(), versionSchema(DemoSchema.V1), versionSchema(DemoSchema.V2));
        Boolean ours = database.labelled(c, schema, LABEL);
        String word = database.schemaWord();
        if (!force) {
            String foreign = ours == null ? derived.stream().filter(n -> exists(c, n)).findFirst().orElse(null)
                    : ours ? null : schema;
            if (foreign != null) {
                throw new TandemException(TandemException.Kind.INVALID_INPUT, word + " \"" + foreign + "\" exists and was"
                        + " not created by tandem demo, so the demo leaves it alone: choose another name with --schema, or"
                        + " pass --reset to drop it with everything in it");
            }
        }
        List<String> all = new ArrayList<>();
        all.add(schema);
        all.addAll(derived);
        for (String name : all) {
            if (!exists(c, name)) continue;
            log.println("dropping " + word + " " + name + (force ? " (--reset)" : ", left by a previous demo run"));
            database.drop(c, name);
        }
    }

    /** Creates the service's schema, labelled. */
    void create(Connection c) throws SQLException {
        database.createLabelled(c, schema, LABEL);
    }

    private boolean exists(Connection c, String name) {
        try {
            return database.labelled(c, name, LABEL) != null;
        } catch (SQLException e) {
            throw new TandemException(TandemException.Kind.DATABASE, "could not look up " + database.schemaWord() + " "
                    + name + ": " + e.getMessage(), e);
        }
    }
}
