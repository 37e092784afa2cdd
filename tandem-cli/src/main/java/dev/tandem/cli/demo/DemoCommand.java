package dev.tandem.cli.demo;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.tandem.TandemException;
import dev.tandem.cli.DatabaseUrl;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import org.postgresql.ds.PGSimpleDataSource;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

import javax.sql.DataSource;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.util.concurrent.Callable;

/** {@code tandem demo}: a rolling upgrade of an identity service under live traffic, with the proof nobody noticed. */
@Command(name = "demo", mixinStandardHelpOptions = true, sortOptions = false, usageHelpAutoWidth = true,
        description = {"Run a rolling upgrade of a simulated service under live traffic, and measure it.",
                "%nThe service is an identity service (its users table as Keystone had it) on several nodes. Node by"
                        + " node it moves from version 001 to 002, which renames a column, adds a computed NOT NULL email,"
                        + " turns an integer flag into a boolean and drops a column; then Tandem backfills and contracts."
                        + " The report shows, per step, the requests served by each version, the failures and the"
                        + " latency, then checks every row.",
                "%nWithout --url it starts an embedded PostgreSQL in a temporary directory."},
        exitCodeListHeading = "%nExit codes:%n",
        exitCodeList = {"0:No request failed and every row is consistent.",
                "1:A request failed or a row is inconsistent (expected with --naive).",
                "2:Bad options."})
public final class DemoCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = "--url", paramLabel = "URL", description = "Use this PostgreSQL instead of an embedded one: a JDBC URL"
            + " (jdbc:postgresql://HOST:PORT/DATABASE) or a libpq URI (postgresql://USER@HOST:PORT/DATABASE).")
    String url;

    @Option(names = "--user", paramLabel = "NAME", description = "Database user for --url.")
    String user;

    @Option(names = "--password", paramLabel = "PASSWORD", description = "Database password for --url (never printed).")
    String password;

    @Option(names = "--schema", paramLabel = "SCHEMA", defaultValue = "tandem_demo",
            description = "Schema the demo creates and uses (default: ${DEFAULT-VALUE}), with its Tandem state in"
                    + " SCHEMA_state and the version schemas SCHEMA_001_identity and SCHEMA_002_user_email. What a previous"
                    + " demo run left there is dropped first; a schema of those names the demo did not create is refused.")
    String schema;

    @Option(names = "--reset", description = "Drop the schemas named after --schema first, even if the demo did not create them.")
    boolean reset;

    @Option(names = "--rows", paramLabel = "N", defaultValue = "100000", description = "Users loaded before the upgrade (default: ${DEFAULT-VALUE}).")
    int rows;

    @Option(names = "--nodes", paramLabel = "N", defaultValue = "4", description = "Service nodes (default: ${DEFAULT-VALUE}).")
    int nodes;

    @Option(names = "--threads", paramLabel = "N", defaultValue = "2", description = "Worker threads per node (default: ${DEFAULT-VALUE}).")
    int threads;

    @Option(names = "--rate", paramLabel = "N", defaultValue = "200", description = "Requests per second sent to the service (default: ${DEFAULT-VALUE}).")
    int rate;

    @Option(names = "--duration", paramLabel = "DURATION", defaultValue = "3s", converter = dev.tandem.cli.DurationConverter.class,
            description = "How long each step of the upgrade serves traffic (default: ${DEFAULT-VALUE}).")
    Duration duration;

    @Option(names = "--naive", description = "Make the same change the way a plain migration tool does: ALTER statements"
            + " in one transaction, then restart every node on the new version. Shows what breaks.")
    boolean naive;

    @Option(names = "--json", description = "Write the report as JSON on stdout (progress stays on stderr).")
    boolean json;

    @Override
    public Integer call() throws Exception {
        // Before the embedded server and the pools create their loggers: progress is ours to show, not theirs.
        dev.tandem.cli.Logging.configure(false, false);
        if (rows < 1 || nodes < 1 || threads < 1 || rate < 1) {
            throw new ParameterException(spec.commandLine(), "--rows, --nodes, --threads and --rate must be at least 1");
        }
        PrintWriter log = spec.commandLine().getErr();
        Path migrations = Files.createTempDirectory("tandem-demo-migrations");
        EmbeddedPostgres embedded = null;
        try {
            DataSource database;
            if (url == null) {
                log.println("starting an embedded PostgreSQL in a temporary directory ...");
                embedded = EmbeddedPostgres.builder().setServerConfig("max_connections", "200").start();
                PGSimpleDataSource ds = new PGSimpleDataSource();
                ds.setURL(embedded.getJdbcUrl("postgres", "postgres"));
                database = ds;
            } else {
                database = dataSource(url);
            }
            DemoSchemas schemas;
            try (Connection c = database.getConnection()) {
                schemas = new DemoSchemas(schema, dev.tandem.dialect.Dialects.forConnection(c));
                schemas.dropPrevious(c, reset, log);
                schemas.create(c);
            } catch (SQLException e) {
                throw new TandemException(TandemException.Kind.DATABASE, "the demo's database failed: " + e.getMessage(), e);
            }
            Demo.Settings settings = new Demo.Settings(rows, nodes, threads, rate, duration, naive);
            DemoReport report = new Demo(database, schemas, migrations, settings, log).run();
            report.print(log);
            if (json) {
                spec.commandLine().getOut().println(new ObjectMapper().setPropertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE)
                        .enable(SerializationFeature.INDENT_OUTPUT).writeValueAsString(report));
                spec.commandLine().getOut().flush();
            }
            return report.passed() ? 0 : 1;
        } finally {
            if (embedded != null) embedded.close();
        }
    }

    private DataSource dataSource(String url) {
        DatabaseUrl parsed;
        try {
            parsed = DatabaseUrl.parse(url);
        } catch (IllegalArgumentException e) {
            throw new ParameterException(spec.commandLine(), "--url: " + e.getMessage());
        }
        if (!parsed.jdbcUrl().startsWith("jdbc:postgresql:")) {
            throw new ParameterException(spec.commandLine(), "--url: unsupported database URL (expected "
                    + "jdbc:postgresql://HOST:PORT/DATABASE or postgresql://USER@HOST:PORT/DATABASE)");
        }
        PGSimpleDataSource ds = new PGSimpleDataSource();
        ds.setURL(parsed.jdbcUrl());
        String u = user != null ? user : parsed.user();
        String p = password != null ? password : parsed.password();
        if (u != null) ds.setUser(u);
        if (p != null) ds.setPassword(p);
        return ds;
    }
}
