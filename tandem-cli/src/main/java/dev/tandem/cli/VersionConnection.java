package dev.tandem.cli;

import dev.tandem.MigrationStatus;
import dev.tandem.Status;
import dev.tandem.client.TandemDataSource;
import dev.tandem.dialect.Dialect;
import dev.tandem.state.Phase;

import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * How an application instance selects its version: its connections' search_path is the version schema.
 *
 * @param role          {@code new} (the migration in flight), {@code previous} (what ran before it) or
 *                      {@code current} (the last completed migration, when none is in flight)
 * @param migration     the version's migration, or null for the tables before any migration
 * @param versionSchema the schema to put first on the search_path
 * @param dialect       how the database spells a search path
 */
record VersionConnection(String role, String migration, String versionSchema, String schema, Dialect dialect) {

    /** The search path: the version's views first, then the managed schema itself (its types and sequences). */
    private List<String> searchPath() {
        return versionSchema.equals(schema) ? List.of(schema) : List.of(versionSchema, schema);
    }

    /** pgjdbc's URL parameters: the search path, and the application name Tandem counts instances by. */
    String jdbcOption() {
        String name = applicationName();
        return name == null ? searchPathOption()
                : searchPathOption() + "&ApplicationName=" + URLEncoder.encode(name, StandardCharsets.UTF_8);
    }

    /** pgjdbc's URL parameter for the search path alone: complete, nothing in it to fill in. */
    private String searchPathOption() {
        return "currentSchema=" + URLEncoder.encode(dialect.searchPathValue(searchPath()), StandardCharsets.UTF_8);
    }

    /**
     * The application_name an instance of this version connects with, {@code <instance>} standing for the name of
     * the instance, which only the instance knows; null for the tables before any migration (no version to name).
     */
    String applicationName() {
        return migration == null ? null : TandemDataSource.applicationName(migration, INSTANCE);
    }

    static final String INSTANCE = "<instance>";

    /** For pools that run SQL on each new connection, e.g. HikariCP's connectionInitSql. */
    String initSql() {
        return dialect.setSearchPathStatement(searchPath());
    }

    /**
     * {@code url} (already masked) with its currentSchema set to this version: a URL to paste as it is. The
     * application name is left out, as its instance part differs from instance to instance.
     */
    String jdbcUrl(String url) {
        String base = url;
        List<String> params = new ArrayList<>();
        int q = url.indexOf('?');
        if (q >= 0) {
            base = url.substring(0, q);
            for (String p : url.substring(q + 1).split("&")) {
                String lower = p.toLowerCase(Locale.ROOT);
                if (!p.isEmpty() && !lower.startsWith("currentschema=") && !lower.startsWith("applicationname=")) params.add(p);
            }
        }
        params.add(searchPathOption());
        return base + "?" + String.join("&", params);
    }

    /** The versions applications may be using now: the one in flight and the previous one, or the current one. */
    static List<VersionConnection> of(Status status, Dialect dialect) {
        List<MigrationStatus> all = status.migrations();
        Optional<MigrationStatus> current = status.current();
        int end = current.map(all::indexOf).orElse(all.size());
        MigrationStatus lastComplete = null;
        for (int i = 0; i < end; i++) {
            MigrationStatus m = all.get(i);
            if (m.phase() == Phase.COMPLETE && m.versionSchema() != null) lastComplete = m;
        }
        List<VersionConnection> result = new ArrayList<>();
        if (current.isPresent() && current.get().phase().inFlight() && current.get().versionSchema() != null) {
            MigrationStatus m = current.get();
            result.add(new VersionConnection("new", m.name(), m.versionSchema(), status.schema(), dialect));
            result.add(lastComplete != null
                    ? new VersionConnection("previous", lastComplete.name(), lastComplete.versionSchema(), status.schema(), dialect)
                    : new VersionConnection("previous", null, status.schema(), status.schema(), dialect));
        } else if (lastComplete != null) {
            result.add(new VersionConnection("current", lastComplete.name(), lastComplete.versionSchema(), status.schema(), dialect));
        }
        return result;
    }
}
