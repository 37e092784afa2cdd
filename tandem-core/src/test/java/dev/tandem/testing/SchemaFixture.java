package dev.tandem.testing;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeMap;

/**
 * A copy of an SQL fixture from the test resources in two new schemas of their own: {@code ${app}}, the schema
 * Tandem migrates, and {@code ${ref}}, another schema whose tables point at it and back. {@code ${role}} is the
 * application's role. Two copies of one fixture have equal {@link #snapshot snapshots}, so a copy changed by plain
 * DDL is the expectation for a copy changed by a migration.
 */
public final class SchemaFixture {
    public final String app;
    public final String ref;
    public final String role;

    private SchemaFixture(String app, String ref, String role) {
        this.app = app;
        this.ref = ref;
        this.role = role;
    }

    /** New schemas with the fixtures {@code resources} (paths under the test resources) run in them, in order. */
    public static SchemaFixture load(String role, String... resources) {
        SchemaFixture f = new SchemaFixture(Pg.newSchema("rs_app"), Pg.newSchema("rs_ref"), role);
        for (String resource : resources) f.exec(read(resource));
        return f;
    }

    /** Runs {@code sql} with its placeholders replaced by this copy's quoted names. */
    public void exec(String sql) {
        Pg.exec(sql.replace("${app}", quote(app)).replace("${ref}", quote(ref)).replace("${role}", quote(role)));
    }

    /** The objects of both schemas, with their names shown as the placeholders. */
    public TreeMap<String, String> snapshot() {
        Map<String, String> placeholders = new LinkedHashMap<>();
        placeholders.put(app, "${app}");
        placeholders.put(ref, "${ref}");
        placeholders.put(role, "${role}");
        return new SchemaSnapshot(placeholders).of(app, ref);
    }

    private static String quote(String identifier) {
        return "\"" + identifier.replace("\"", "\"\"") + "\"";
    }

    private static String read(String resource) {
        try (InputStream in = SchemaFixture.class.getResourceAsStream("/" + resource)) {
            if (in == null) throw new IllegalArgumentException("no test resource " + resource);
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
