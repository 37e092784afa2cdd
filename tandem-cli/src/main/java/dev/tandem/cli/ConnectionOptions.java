package dev.tandem.cli;

import dev.tandem.Tandem;
import picocli.CommandLine.Help.Visibility;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;

import java.nio.file.Path;
import java.time.Duration;

/** Where the database and the migrations are, and how long Tandem may wait for locks: shared by every command. */
public final class ConnectionOptions {

    @Option(names = "--url", paramLabel = "URL", defaultValue = "${env:TANDEM_URL}", showDefaultValue = Visibility.NEVER,
            description = "The database (env TANDEM_URL). Required. A JDBC URL, e.g."
                    + " jdbc:postgresql://localhost:5432/app?user=app, or a libpq URI as psql takes it, e.g."
                    + " postgresql://app@localhost:5432/app (also postgres://); on MariaDB"
                    + " jdbc:mariadb://localhost:3306/app with --user and --password.")
    String url;

    @Option(names = "--user", paramLabel = "NAME", defaultValue = "${env:TANDEM_USER}", showDefaultValue = Visibility.NEVER,
            description = "Database user (env TANDEM_USER); default: from the URL or the driver's default.")
    String user;

    @Option(names = "--password", paramLabel = "PASSWORD", defaultValue = "${env:TANDEM_PASSWORD}",
            showDefaultValue = Visibility.NEVER, interactive = true, arity = "0..1", prompt = "Password: ",
            description = "Database password (env TANDEM_PASSWORD). Without a value, it is asked for."
                    + " Never printed or logged.")
    String password;

    @Option(names = "--schema", paramLabel = "SCHEMA", defaultValue = "${env:TANDEM_SCHEMA}",
            description = "The schema whose tables the migrations change (env TANDEM_SCHEMA; default: public on"
                    + " PostgreSQL, the URL's database on MariaDB and MySQL).")
    String schema;

    @Option(names = "--state-schema", paramLabel = "SCHEMA", defaultValue = "${env:TANDEM_STATE_SCHEMA:-tandem}",
            description = "Where Tandem keeps its own state (env TANDEM_STATE_SCHEMA; default: tandem).")
    String stateSchema;

    @Option(names = "--migrations", paramLabel = "DIR", defaultValue = "${env:TANDEM_MIGRATIONS:-./migrations}",
            description = "The directory of migration files (env TANDEM_MIGRATIONS; default: ./migrations).")
    Path migrations;

    @Option(names = "--lock-timeout", paramLabel = "DURATION", defaultValue = "500ms", converter = DurationConverter.class,
            description = "How long one DDL statement may wait for its table lock before it gives way and is retried"
                    + " (default: ${DEFAULT-VALUE}).")
    Duration lockTimeout;

    @Option(names = "--lock-wait", paramLabel = "DURATION", defaultValue = "10s", converter = DurationConverter.class,
            description = "How long to wait for another Tandem process to release the migration lock"
                    + " (default: ${DEFAULT-VALUE}).")
    Duration lockWait;

    @Option(names = "--retry-deadline", paramLabel = "DURATION", defaultValue = "10m", converter = DurationConverter.class,
            description = "How long a step keeps retrying for its lock before the command gives up"
                    + " (default: ${DEFAULT-VALUE}).")
    Duration retryDeadline;

    /** The password from --password / TANDEM_PASSWORD or the URL, to keep it out of messages. */
    String secret() {
        return password != null && !password.isEmpty() ? password : Secrets.passwordInUrl(url);
    }

    /**
     * The JDBC URL with its password masked: the only form in which it may be printed. A libpq URI is shown as
     * the JDBC URL it became (without its user and password, which are passed to the driver apart).
     */
    String maskedUrl() {
        if (url == null) return null;
        String jdbc;
        try {
            jdbc = DatabaseUrl.parse(url).jdbcUrl();
        } catch (IllegalArgumentException e) {
            jdbc = url;
        }
        return Secrets.redact(jdbc, secret());
    }

    Tandem.Config config(CommandSpec spec) {
        if (url == null || url.isBlank()) {
            throw new ParameterException(spec.commandLine(), "Missing database URL: give --url=jdbc:postgresql://HOST:PORT/DATABASE"
                    + " (or postgresql://USER@HOST:PORT/DATABASE, or jdbc:mariadb://HOST:PORT/DATABASE) or set TANDEM_URL");
        }
        DatabaseUrl database;
        try {
            database = DatabaseUrl.parse(url);
        } catch (IllegalArgumentException e) {
            throw new ParameterException(spec.commandLine(), "--url: " + e.getMessage());
        }
        if (lockTimeout.isZero()) {
            throw new ParameterException(spec.commandLine(), "--lock-timeout must be more than 0 (0 would let DDL wait"
                    + " for its lock forever, queueing the application's queries behind it)");
        }
        if ((schema != null && schema.isBlank()) || stateSchema.isBlank()) {
            throw new ParameterException(spec.commandLine(), "--schema and --state-schema must not be empty");
        }
        return Tandem.configure()
                // --user and --password win over the ones in a libpq URI, as they do over a JDBC URL's parameters.
                .url(database.jdbcUrl(), firstOf(user, database.user()), firstOf(password, database.password()))
                .migrations(migrations)
                .schema(schema) // null: the dialect's default
                .stateSchema(stateSchema)
                .lockTimeout(lockTimeout)
                .lockWait(lockWait)
                .retryDeadline(retryDeadline);
    }

    private static String firstOf(String option, String fromUrl) {
        return option == null || option.isEmpty() ? fromUrl : option;
    }
}
