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
 * How an application instance selects its version, as the dialect says it ({@link Dialect#versionSettings}): on
 * PostgreSQL its connections' search_path starts with the version schema, on MariaDB the version database is its
 * connection's database and {@code @tandem_version} names it.
 *
 * @param role          {@code new} (the migration in flight), {@code previous} (what ran before it) or
 *                      {@code current} (the last completed migration, when none is in flight)
 * @param migration     the version's migration, or null for the tables before any migration
 * @param versionSchema the schema to put first on the search_path
 * @param dialect       how the database selects a version
 */
record VersionConnection(String role, String migration, String versionSchema, String schema, Dialect dialect) {

    private Dialect.VersionSettings settings() {
        return dialect.versionSettings(versionSchema, schema, migration, applicationName());
    }

    /** The URL parameters that select this version and name the instance, for the driver {@link #driver}. */
    String jdbcOption() {
        return settings().urlParameters();
    }

    String driver() {
        return settings().driver();
    }

    /** How the version is selected and named, in a few words for people. */
    String how() {
        return settings().how();
    }

    /** The connection setting that names an instance, or null where the database reads none. */
    String nameSetting() {
        return settings().nameSetting();
    }

    /**
     * The name an instance of this version connects with, {@code <instance>} standing for the name of the instance,
     * which only the instance knows; null for the tables before any migration (no version to name).
     */
    String applicationName() {
        return migration == null ? null : TandemDataSource.applicationName(migration, INSTANCE);
    }

    static final String INSTANCE = "<instance>";

    /** For pools that run SQL on each new connection, e.g. HikariCP's connectionInitSql. */
    String initSql() {
        return settings().initSql();
    }

    /**
     * {@code url} (already masked) set to this version: its database where the version is a database, the
     * parameters that select the version: a URL to paste as it is. The instance's name is left out, as its
     * instance part differs from instance to instance.
     */
    String jdbcUrl(String url) {
        Dialect.VersionSettings v = dialect.versionSettings(versionSchema, schema, migration, null);
        String base = url;
        List<String> params = new ArrayList<>();
        int q = url.indexOf('?');
        if (q >= 0) {
            base = url.substring(0, q);
            for (String p : url.substring(q + 1).split("&")) {
                String lower = p.toLowerCase(Locale.ROOT);
                boolean replaced = v.replacedParameters().stream().anyMatch(r -> lower.startsWith(r.toLowerCase(Locale.ROOT) + "="));
                if (!p.isEmpty() && !replaced) params.add(p);
            }
        }
        if (v.database() != null) base = withDatabase(base, v.database());
        if (!v.urlParameters().isEmpty()) params.add(v.urlParameters());
        return params.isEmpty() ? base : base + "?" + String.join("&", params);
    }

    /** {@code jdbc:mariadb://host:port/db} with another database in its path. */
    private static String withDatabase(String base, String database) {
        int hosts = base.indexOf("//");
        int slash = hosts < 0 ? -1 : base.indexOf('/', hosts + 2);
        String prefix = slash < 0 ? base : base.substring(0, slash);
        return prefix + "/" + URLEncoder.encode(database, StandardCharsets.UTF_8);
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
